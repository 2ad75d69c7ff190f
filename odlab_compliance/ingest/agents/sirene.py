"""INSEE's Sirene ``StockUniteLegale`` (CSV or Parquet) -> staff bands of public units.

DuckDB streams the file: it reads four columns and keeps catégorie juridique 7xxx while
reading, so memory stays flat whatever the size of the stock (several GB for France).
The checks run on the public units only (a few hundred thousand rows at most). Line
numbers are needed only when something is wrong: a CSV is then read once more, in Python,
to find the lines of the bad rows; a Parquet has no lines, so its "ligne" is the row
number plus 2 (the line the row would have in a CSV export with its header).
"""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from odlab_compliance import db
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import nombre
from odlab_compliance.ingest.agents.bands import band_bounds, is_band, normalize_band
from odlab_compliance.ingest.agents.detect import (
    CP1252,
    ENCODING_NOTE,
    SIRENE_CSV,
    SIRENE_PARQUET,
    SIRENE_REQUIRED,
    FileFormat,
    column_map,
)
from odlab_compliance.ingest.agents.validate import (
    duplicate_problems,
    problems,
    siren_problems,
    year_problem,
)

SOURCE = "sirene"
# (table function reading the file, expression of its row number): constants only.
READERS = {
    # No sniffing: the header read by ``detect`` gives the columns (all text), so a ragged
    # line is reported as such, with its number, instead of confusing the sniffer.
    SIRENE_CSV: ("read_csv(?, auto_detect = false, header = true, delim = ?, encoding = ?, "
                 "quote = '\"', escape = '\"', columns = ?)", "NULL"),
    SIRENE_PARQUET: ("read_parquet(?, file_row_number = true)", "file_row_number"),
}
_STAGE_ROWS = "SELECT siren, categorie, tranche, annee, file_row FROM agents_sirene_stage"
_DROP_STAGE = "DROP TABLE IF EXISTS agents_sirene_stage"
_LINE_RE = re.compile(r"on Line: (\d+)")
_COLUMNS_RE = re.compile(r"Expected Number of Columns: (\d+)")
DUCKDB_ENCODINGS = {"utf-8": "utf-8", CP1252: "latin-1"}   # cp1252 digits read the same


@dataclass
class SireneLoad:
    rows: pd.DataFrame                    # rows of the agents table
    public_units: int
    unknown_bands: int                    # NN or missing: unknown, not zero
    notes: list[str] = field(default_factory=list)


def _stage_sql(kind: str) -> str:
    reader, row_number = READERS[kind]
    return db.sql("agents_sirene_stage").replace("{reader}", reader).replace(
        "{row_number}", row_number)


@contextmanager
def watch_progress(con: duckdb.DuckDBPyConnection,
                   progress: Callable[[float], None] | None) -> Iterator[None]:
    """Report DuckDB's own progress (percent) of the statement run inside, every 0.2 s.

    DuckDB's printed bar is switched off: the caller shows a tqdm bar instead.
    """
    if progress is None:
        yield
        return
    con.execute("SET enable_progress_bar = true").fetchall()
    con.execute("SET enable_progress_bar_print = false").fetchall()
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.2):
            pct = con.query_progress()
            if pct >= 0:
                progress(pct)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        progress(100.0)


def stage(con: duckdb.DuckDBPyConnection, fmt: FileFormat,
          progress: Callable[[float], None] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Stream the file into a temporary table of public units; return it and notes."""
    notes: list[str] = []
    sql = _stage_sql(fmt.kind)
    encoding = fmt.encoding or "utf-8"
    if encoding == CP1252:
        notes.append(ENCODING_NOTE)
    attempts = [encoding] if encoding == CP1252 else [encoding, CP1252]
    for i, enc in enumerate(attempts):
        params: list[object] = [str(fmt.path)]
        if fmt.kind == SIRENE_CSV:
            params += [fmt.delimiter or ",", DUCKDB_ENCODINGS[enc],
                       dict.fromkeys(fmt.columns, "VARCHAR")]
        try:
            with watch_progress(con, progress):
                con.execute(sql, params).fetchall()
            break
        except duckdb.Error as exc:
            message = str(exc)
            # Excel's cp1252 can hide past the first 64 KB that detection looked at.
            if "unicode" in message.lower() and i + 1 < len(attempts):
                notes.append(ENCODING_NOTE)
                continue
            raise _read_error(fmt, message) from exc
    try:
        staged = con.execute(_STAGE_ROWS).df()
    finally:
        con.execute(_DROP_STAGE).fetchall()
    # Plain Python values, None for NULL (pandas' NA has no truth value).
    staged = staged.astype(object).where(staged.notna(), None)
    return staged, notes


def _read_error(fmt: FileFormat, message: str) -> InputError:
    """DuckDB's reading error -> a French message, with the line when DuckDB gives it."""
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()] or ["?"]
    found = _LINE_RE.search(message)
    if not found:
        return InputError(fmt.path.name, f"lecture impossible du stock Sirene ({lines[0]})")
    columns = _COLUMNS_RE.search(message)
    detail = (f"nombre de colonnes différent de l'en-tête ({columns.group(1)} attendues)"
              if columns else lines[0])
    return InputError(fmt.path.name, "lecture impossible du stock Sirene (CSV mal formé)",
                      [LineError(int(found.group(1)), f"ligne illisible : {detail}")])


def _band_problem(raw: object) -> str | None:
    code = normalize_band(raw)
    if is_band(code):
        return None
    return (f"tranche d'effectifs « {raw} » inconnue (codes INSEE : NN, 00, 01, 02, 03, 11, "
            "12, 21, 22, 31, 32, 41, 42, 51, 52, 53 ; un tableur a pu ôter le zéro initial)")


def _csv_lines(fmt: FileFormat, wanted: set[str]) -> dict[str, list[int]]:
    """Line numbers of the public units whose SIREN is in ``wanted`` (error path only)."""
    encoding = "utf-8-sig" if fmt.encoding != CP1252 else CP1252
    out: dict[str, list[int]] = {}
    with open(fmt.path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=fmt.delimiter or ",")
        header = [h.strip() for h in next(reader, [])]
        cmap = column_map(header, SIRENE_REQUIRED)
        i_siren = header.index(cmap["siren"])
        i_cat = header.index(cmap["categorieJuridiqueUniteLegale"])
        for row in reader:
            if len(row) > max(i_siren, i_cat) and row[i_cat].strip().startswith("7"):
                siren = row[i_siren].strip()
                if siren in wanted:
                    out.setdefault(siren, []).append(reader.line_num)
    return out


def _line_resolver(fmt: FileFormat, staged: pd.DataFrame,
                   labels: set[object]) -> Callable[[object], int]:
    if fmt.kind == SIRENE_PARQUET:
        return lambda label: int(staged.at[label, "file_row"]) + 2
    sub = staged.loc[sorted(labels)]
    found = _csv_lines(fmt, set(sub["siren"]))
    rank = staged["siren"].groupby(staged["siren"]).cumcount()

    def line_of(label: object) -> int:
        lines = found.get(staged.at[label, "siren"], [])
        k = int(rank.at[label])
        return lines[k] if k < len(lines) else int(label) + 2  # type: ignore[call-overload]

    return line_of


def check(fmt: FileFormat, staged: pd.DataFrame) -> None:
    """Raise ``InputError`` naming every bad line: SIREN, band, year, duplicates."""
    name = fmt.path.name
    if staged.empty:
        raise InputError(name, "aucune unité publique (catégorie juridique 7xxx) dans ce "
                               "fichier : rien n'a été importé")
    bad_sirens = siren_problems(staged)
    found = (bad_sirens + problems(staged, "tranche", _band_problem)
             + problems(staged, "annee", lambda v: year_problem(v, required=False)))
    valid = staged.drop(index=[label for label, _ in bad_sirens])
    dup_labels = set(valid.index[valid["siren"].duplicated(keep=False)])
    if not found and not dup_labels:
        return
    line_of = _line_resolver(fmt, staged, {label for label, _ in found} | dup_labels)
    errors = [LineError(line_of(label), msg) for label, msg in found]
    errors += [LineError(line_of(label), msg)
               for label, msg in duplicate_problems(valid, line_of)]
    errors.sort(key=lambda e: e.line)
    raise InputError(name, f"{nombre(len(errors))} erreur(s) parmi les unités publiques : "
                           "fichier refusé", errors)


def to_agent_rows(staged: pd.DataFrame, file_name: str) -> pd.DataFrame:
    """Checked staging rows -> rows of the ``agents`` table."""
    codes = [normalize_band(v) for v in staged["tranche"]]
    bounds = [band_bounds(c) for c in codes]
    return pd.DataFrame({
        "siren": staged["siren"].to_list(),
        "tranche": codes,
        "agents_min": [b[0] for b in bounds],
        "agents_max": [b[1] for b in bounds],
        "annee": [int(a) if a else None for a in staged["annee"]],
        "source_detail": [f"{file_name}, catégorie juridique {c}" for c in staged["categorie"]],
    })


def load_sirene(con: duckdb.DuckDBPyConnection, fmt: FileFormat,
                progress: Callable[[float], None] | None = None) -> SireneLoad:
    """Stream, filter and check a Sirene stock; nothing is written here.

    ``progress`` receives the percentage of the file read (DuckDB's own measure).
    """
    staged, notes = stage(con, fmt, progress)
    check(fmt, staged)
    rows = to_agent_rows(staged, fmt.path.name)
    unknown = int(rows["agents_min"].isna().sum())
    return SireneLoad(rows, len(rows), unknown, notes)
