"""Import of a follow-up spreadsheet (CSV or XLSX) into the follow-up log: a file of its
own, or one the app exported (the follow-up state, the worklist, from the page or the
command line, CSV or XLSX), edited in a spreadsheet and brought back.

Only the fields a person edits are read (``EDITABLE``: stage, dated note, next-action
date, contact), and each line writes only what differs from the current follow-up: an
exported file brought back unchanged writes nothing, one stage changed writes that one
stage. An empty cell changes nothing (clearing a contact or a date is done on the page).
The other columns of the app's exports (name, type, status, reasons...) are recognised
and ignored; any other column is refused, so a misspelt "etap" is not silently dropped.

Every line is checked before anything is written; any problem (unknown column, bad date,
unknown SIREN, unknown stage, a collectivité outside the editor's territories, a file
that is not UTF-8, an empty file) raises ``InputError`` naming the lines, and the
database is left as it was.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from odlab_compliance import vocab
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
    "note": "texte d'une nouvelle note",
    "prochaine_action": "date de la prochaine action (jj/mm/aaaa)",
    "contact": "personne à contacter",
}
EDITABLE = ("etape", "date", "note", "prochaine_action", "contact")
# Columns of the app's own exports that are read back and ignored (not edited here).
EXPORTED = (set(followup.WORKLIST_COLUMNS) | set(followup.STATE_COLUMNS)
            | set(followup.COLUMN_LABELS) | set(vocab.MOTIF_TRAVAIL) | {"etape_libelle"}) \
    - set(COLUMNS)
# A journal export (one row per change) is not a table of collectivités.
_JOURNAL_COLUMNS = {"champ", "valeur"}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%y")


def _fold(text: str) -> str:
    """Lower case without accents: "Accompagnée" and "accompagnee" match the same stage."""
    return fold(text.strip())


_STAGE_LOOKUP = {_fold(k): k for k in STAGES} | {_fold(v): k for k, v in STAGES.items()}
# A header -> its column: the code itself, or the French label of the page's downloads.
_HEADERS = ({_fold(c): c for c in (*COLUMNS, *EXPORTED, *_JOURNAL_COLUMNS)}
            | {_fold(label): code for code, label in followup.COLUMN_LABELS.items()})


def _undefuse(cell: str) -> str:
    """A cell as typed: our CSV exports put an apostrophe before a leading = + - @ so that
    a spreadsheet never runs it as a formula ("+33 5 61..." -> "'+33 5 61...")."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@":
        return cell[1:]
    return cell


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
    df.columns = [_HEADERS.get(_fold(str(c)), _fold(str(c))) for c in df.columns]
    if _JOURNAL_COLUMNS <= set(df.columns):
        raise InputError(name, "ce fichier est un journal (une ligne par changement déjà "
                               "enregistré) : importez l'état du suivi ou la liste de suivi, "
                               "une ligne par collectivité")
    unknown = [c for c in df.columns if c not in COLUMNS and c not in EXPORTED]
    if unknown or "siren" not in df.columns:
        msgs = [f"colonne inconnue « {c} »" for c in unknown]
        if "siren" not in df.columns:
            msgs.append("colonne « siren » manquante")
        raise InputError(name, "en-tête invalide (colonnes lues : "
                               + ", ".join(COLUMNS) + " ; les autres colonnes des exports "
                               "de l'application sont ignorées)",
                         [LineError(1, m) for m in msgs])
    df = df[[c for c in df.columns if c in COLUMNS]]
    df = df.fillna("").map(_undefuse)
    df = df[(df != "").any(axis=1)]
    if df.empty:
        raise InputError(name, "fichier vide : aucune ligne après l'en-tête")
    return df


def parse(data: bytes, name: str, known_sirens: set[str] | None = None
          ) -> list[tuple[int, Change]]:
    """(file line, change) for each line of the file, or InputError listing every bad
    line. A change holds what the line says, not yet compared with the current state."""
    df = read_table(data, name)
    changes: list[tuple[int, Change]] = []
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
        # A line that sets nothing is fine here (an exported line left as it was).
        problems += [p for p in followup.change_problems(change) if p != "aucun changement"]
        if (not problems and known_sirens is not None and change.siren not in known_sirens):
            problems.append(f"SIREN {change.siren} absent du référentiel des collectivités")
        errors += [LineError(int(line), p) for p in problems]
        changes.append((int(line), change))
    if errors:
        raise InputError(name, f"{len({e.line for e in errors})} ligne(s) invalide(s)", errors)
    return changes


def _same_day(a: object, b: object) -> bool:
    if a is None or pd.isna(a) or b is None or pd.isna(b):  # type: ignore[arg-type]
        return False
    return pd.Timestamp(a).normalize() == pd.Timestamp(b).normalize()  # type: ignore[arg-type]


def only_edits(change: Change, current: dict) -> Change:
    """The part of ``change`` that differs from the collectivité's ``current`` state (a
    row of ``followup.state``, {} when it has none): what a person edited."""
    cur_stage = current.get("etape") if isinstance(current.get("etape"), str) \
        else followup.DEFAULT_STAGE
    cur_contact = current.get("contact") if isinstance(current.get("contact"), str) else None
    etape = change.etape if change.etape not in (None, cur_stage) else None
    contact = change.contact if change.contact not in (None, cur_contact) else None
    pa = change.prochaine_action
    if pa is not None and _same_day(pa, current.get("prochaine_action")):
        pa = None
    return Change(change.siren, etape=etape, note=change.note,
                  date_effet=change.date_effet if (etape or change.note) else None,
                  prochaine_action=pa, contact=contact)


def import_bytes(con: duckdb.DuckDBPyConnection, data: bytes, name: str, *,
                 editor: str, allowed: set[str] | None = None, scope: str = "") -> int:
    """Check then append what each line of the file changes to the log, all or nothing;
    rows written. ``allowed``: an editor limited to territories may change only those
    collectivités (lines outside that change nothing are let through)."""
    parsed = parse(data, name, followup.known_sirens(con))
    current = {r["siren"]: r for r in followup.state(con).to_dict("records")}
    edits = [(line, only_edits(ch, current.get(ch.siren, {}))) for line, ch in parsed]
    edits = [(line, ch) for line, ch in edits
             if any(getattr(ch, f) is not None for f in followup.FIELDS)]
    if allowed is not None:
        outside = [LineError(line, f"SIREN {ch.siren} hors de votre territoire ({scope})")
                   for line, ch in edits if ch.siren not in allowed]
        if outside:
            raise InputError(name, f"{len(outside)} ligne(s) hors de votre territoire : "
                                   "rien n'a été enregistré", outside)
    if not edits:
        return 0
    return followup.record(con, [ch for _, ch in edits], editor=editor,
                           origin=f"import:{name}", source_name=name, line_offset=2,
                           allowed=allowed, scope=scope)


def import_file(con: duckdb.DuckDBPyConnection, path: str | Path, *, editor: str,
                allowed: set[str] | None = None, scope: str = "") -> int:
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "fichier introuvable")
    return import_bytes(con, p.read_bytes(), p.name, editor=editor, allowed=allowed,
                        scope=scope)


def template() -> pd.DataFrame:
    """An empty table with the expected columns (offered as a download)."""
    return pd.DataFrame(columns=list(COLUMNS))
