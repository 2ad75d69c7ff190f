"""Import of an existing follow-up spreadsheet (CSV or XLSX) into the follow-up log.

Every line is checked before anything is written; any problem (unknown column, bad date,
unknown SIREN, unknown stage, a file that is not UTF-8, an empty file) raises
``InputError`` naming the lines, and the database is left as it was.

Columns (header on line 1, any order, ``;`` or ``,`` separated for CSV):
``siren`` (required), ``nom`` (ignored, for readability), ``etape``, ``date`` (date of the
note or stage change), ``note``, ``prochaine_action``, ``contact``.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import fold
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.followup import STAGES, Change
from odlab_compliance.textfile import sniff_delimiter, utf8_text

COLUMNS: dict[str, str] = {
    "siren": "SIREN de la collectivité (9 chiffres, obligatoire)",
    "nom": "nom de la collectivité (ignoré, pour la lecture)",
    "etape": "étape : " + ", ".join(STAGES.values()),
    "date": "date de la note ou du changement d'étape (jj/mm/aaaa)",
    "note": "texte de la note",
    "prochaine_action": "date de la prochaine action (jj/mm/aaaa)",
    "contact": "personne à contacter",
}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%y")


def _fold(text: str) -> str:
    """Lower case without accents: "Accompagnée" and "accompagnee" match the same stage."""
    return fold(text.strip())


_STAGE_LOOKUP = {_fold(k): k for k in STAGES} | {_fold(v): k for k, v in STAGES.items()}


def parse_date(text: str) -> date | None:
    """``dd/mm/yyyy`` or ISO text -> date; '' -> None; raises ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_table(data: bytes, name: str) -> pd.DataFrame:
    """The file as a table of text cells (CSV or XLSX by content), or InputError."""
    if not data.strip():
        raise InputError(name, "fichier vide : une ligne d'en-tête (siren;etape;date;note;...) "
                               "et au moins une ligne sont attendues")
    if data[:4] == b"PK\x03\x04":
        try:
            df = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise InputError(name, f"classeur XLSX illisible ({exc})") from exc
    else:
        text = utf8_text(data, name)
        first = text.splitlines()[0] if text.splitlines() else ""
        rows = list(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(first)))
        header, body = rows[0], rows[1:]
        width = len(header)
        errors = [LineError(i, f"{len(r)} colonnes au lieu de {width}")
                  for i, r in enumerate(body, start=2) if r and len(r) != width]
        if errors:
            raise InputError(name, "nombre de colonnes incohérent", errors)
        df = pd.DataFrame([r or [""] * width for r in body], columns=header, dtype=str)
        # keep the file's line numbers: blank lines are dropped below, not renumbered
        df.index = range(2, 2 + len(body))
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 2:
        df.index = range(2, 2 + len(df))
    df.columns = [_fold(str(c)) for c in df.columns]
    unknown = [c for c in df.columns if c not in COLUMNS]
    if unknown or "siren" not in df.columns:
        msgs = [f"colonne inconnue « {c} »" for c in unknown]
        if "siren" not in df.columns:
            msgs.append("colonne « siren » manquante")
        raise InputError(name, "en-tête invalide (colonnes possibles : "
                               + ", ".join(COLUMNS) + ")",
                         [LineError(1, m) for m in msgs])
    df = df.fillna("")
    df = df[(df != "").any(axis=1)]
    if df.empty:
        raise InputError(name, "fichier vide : aucune ligne après l'en-tête")
    return df


def parse(data: bytes, name: str, known_sirens: set[str] | None = None) -> list[Change]:
    """The changes of the file, or InputError listing every bad line."""
    df = read_table(data, name)
    changes: list[Change] = []
    errors: list[LineError] = []
    for line, row in zip(df.index, df.to_dict("records"), strict=True):
        problems: list[str] = []
        dates: dict[str, date | None] = {}
        for col in ("date", "prochaine_action"):
            try:
                dates[col] = parse_date(row.get(col, ""))
            except ValueError:
                problems.append(f"{col} « {row[col]} » : date invalide (attendu jj/mm/aaaa)")
        stage_text = row.get("etape", "").strip()
        stage = _STAGE_LOOKUP.get(_fold(stage_text), stage_text) if stage_text else None
        change = Change(
            siren=row["siren"].strip(),
            etape=stage,
            note=row.get("note", "").strip() or None,
            date_effet=dates.get("date"),
            prochaine_action=dates.get("prochaine_action"),
            contact=row.get("contact", "").strip() or None,
        )
        problems += followup.change_problems(change)
        if (not problems and known_sirens is not None and change.siren not in known_sirens):
            problems.append(f"SIREN {change.siren} absent du référentiel des collectivités")
        errors += [LineError(int(line), p) for p in problems]
        changes.append(change)
    if errors:
        raise InputError(name, f"{len({e.line for e in errors})} ligne(s) invalide(s)", errors)
    return changes


def import_bytes(con: duckdb.DuckDBPyConnection, data: bytes, name: str, *,
                 editor: str) -> int:
    """Check then append every line of the file to the log, all or nothing; rows written."""
    changes = parse(data, name, followup.known_sirens(con))
    return followup.record(con, changes, editor=editor, origin=f"import:{name}",
                           source_name=name, line_offset=2)


def import_file(con: duckdb.DuckDBPyConnection, path: str | Path, *, editor: str) -> int:
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "fichier introuvable")
    return import_bytes(con, p.read_bytes(), p.name, editor=editor)


def template() -> pd.DataFrame:
    """An empty table with the expected columns (offered as a download)."""
    return pd.DataFrame(columns=list(COLUMNS))
