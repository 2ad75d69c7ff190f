"""Import of a follow-up spreadsheet (CSV or XLSX) into the follow-up log: a file of its
own, or one the app exported (the follow-up state, the worklist, from the page or the
command line, CSV or XLSX), edited in a spreadsheet and brought back.

Nothing is lost either way:

- every line is compared with the saved follow-up first (``plan_bytes``: the preview),
  and only what differs is written: an export brought back unchanged writes nothing; an
  edited « Dernière note » (and its date) is recorded as a new note;
- a line that would move a stage back, or that is older than the saved follow-up (its
  « Mis à jour le » is before the latest saved change: the file was exported before
  someone else wrote), is written only once the editor confirms it (the page: one
  checkbox per line; the command line: ``--force``), because such a line most often
  undoes newer work;
- an empty cell changes nothing (clearing a contact or a date is done on the page);
  the other columns of the app's exports are recognised and named as ignored; any other
  column is refused, so a misspelt "etap" is not silently dropped; a stage that is
  neither a code nor a label (« Contacté ») is refused, with the label probably meant.

Any problem (unknown column, bad date, unknown SIREN or stage, a collectivité outside the
editor's territories, a file that is not UTF-8, an empty file) raises ``InputError``
naming the lines, and the database is left as it was.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.auth import editor_label
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import date_fr, date_heure_fr, fold
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.followup import DEFAULT_STAGE, STAGES, Change
from odlab_compliance.textfile import sniff_delimiter, utf8_text

COLUMNS: dict[str, str] = {
    "siren": "SIREN de la collectivité (9 chiffres, obligatoire)",
    "etape": "étape : " + ", ".join(STAGES.values()),
    "date": "date de la note ou du changement d'étape (jj/mm/aaaa ; défaut : aujourd'hui)",
    "etape_depuis": "« Depuis » des exports : modifiée, elle date le changement d'étape",
    "note": "texte d'une nouvelle note (fichier à vous)",
    "derniere_note": "« Dernière note » des exports : un texte modifié est enregistré "
                     "comme nouvelle note",
    "date_derniere_note": "« Date de la note » des exports : la date de cette note",
    "prochaine_action": "date de la prochaine action (jj/mm/aaaa)",
    "contact": "personne à contacter",
    "mis_a_jour_le": "« Mis à jour le » des exports : sert à reconnaître un fichier plus "
                     "ancien que le suivi enregistré",
}
EDITABLE = ("etape", "date", "etape_depuis", "note", "derniere_note", "date_derniere_note",
            "prochaine_action", "contact")
# Columns of the app's own exports that are read back and ignored (not edited here).
EXPORTED = (set(followup.WORKLIST_COLUMNS) | set(followup.STATE_COLUMNS)
            | set(followup.COLUMN_LABELS) | set(vocab.MOTIF_TRAVAIL) | {"etape_libelle"}) \
    - set(COLUMNS)
# A journal export (one row per change) is not a table of collectivités.
_JOURNAL_COLUMNS = {"champ", "valeur"}
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%y")
_TIME_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S",
                 "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y")


def _fold(text: str) -> str:
    """Lower case without accents: "Accompagnée" and "accompagnee" match the same stage."""
    return fold(text.strip())


# A stage is its code as written (``contacte``) or its label, whatever the case and the
# accents (« ACCOMPAGNEE »). Nothing looser: « Contacté » is neither, and is refused with a
# suggestion rather than read as a guess.
_STAGE_BY_LABEL = {_fold(v): k for k, v in STAGES.items()}
# A header -> its column: the code itself, or the French label of the page's downloads.
_HEADERS = ({_fold(c): c for c in (*COLUMNS, *EXPORTED, *_JOURNAL_COLUMNS)}
            | {_fold(label): code for code, label in followup.COLUMN_LABELS.items()})


def stage_code(text: str) -> str | None:
    """The stage code of a cell (code or label); None when it is neither."""
    text = text.strip()
    return text.lower() if text.lower() in STAGES else _STAGE_BY_LABEL.get(_fold(text))


def stage_problem(text: str) -> str:
    """French: why a stage cell is refused, with the accepted labels and, when one is
    clearly meant (« Contacté »), that one as a suggestion."""
    from rapidfuzz import fuzz, process

    labels = list(STAGES.values())
    best = process.extractOne(_fold(text), {lab: _fold(lab) for lab in labels},
                              scorer=fuzz.ratio, score_cutoff=80)
    hint = f" : vouliez-vous dire « {best[2]} » ?" if best else ""
    return (f"étape « {text.strip()} » inconnue{hint} (étapes acceptées : "
            + ", ".join(f"« {lab} »" for lab in labels) + ")")


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


def parse_timestamp(text: str) -> pd.Timestamp | None:
    """« Mis à jour le » as exported (CSV: ``dd/mm/yyyy HH:MM:SS``; XLSX read back as ISO
    text) -> Timestamp to the second; '' -> None; raises ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(text, fmt)).round("s")
        except ValueError:
            continue
    raise ValueError(text)


@dataclass(frozen=True)
class Row:
    """What one line of the file says, checked, not yet compared with the saved state."""

    line: int
    siren: str
    etape: str | None = None
    date: date | None = None
    etape_depuis: date | None = None
    note: str | None = None
    derniere_note: str | None = None
    date_derniere_note: date | None = None
    prochaine_action: date | None = None
    contact: str | None = None
    mis_a_jour_le: pd.Timestamp | None = None


def parse(data: bytes, name: str, known_sirens: set[str] | None = None) -> list[Row]:
    """One ``Row`` per line of the file, or InputError listing every bad line (bad date,
    unknown stage with the accepted labels, bad or unknown SIREN)."""
    df = read_table(data, name)
    rows: list[Row] = []
    errors: list[LineError] = []
    for line, cells in zip(df.index, df.to_dict("records"), strict=True):
        problems: list[str] = []
        values: dict[str, object] = {}
        for col in ("date", "etape_depuis", "date_derniere_note", "prochaine_action"):
            try:
                values[col] = parse_date(cells.get(col, ""))
            except ValueError:
                problems.append(f"{col} « {cells[col]} » : date invalide (attendu jj/mm/aaaa)")
        try:
            values["mis_a_jour_le"] = parse_timestamp(cells.get("mis_a_jour_le", ""))
        except ValueError:
            problems.append(f"mis_a_jour_le « {cells['mis_a_jour_le']} » : date et heure "
                            "invalides (attendu jj/mm/aaaa hh:mm:ss)")
        stage_text = cells.get("etape", "").strip()
        stage = stage_code(stage_text) if stage_text else None
        if stage_text and stage is None:
            problems.append(stage_problem(stage_text))
        for col in ("note", "derniere_note", "contact"):
            values[col] = cells.get(col, "").strip() or None
        row = Row(line=int(line), siren=cells["siren"].strip(), etape=stage, **values)
        siren_issue = siren_problem(row.siren)
        if siren_issue:
            problems.append(siren_issue)
        elif known_sirens is not None and row.siren not in known_sirens:
            problems.append(f"SIREN {row.siren} absent du référentiel des collectivités")
        errors += [LineError(int(line), p) for p in problems]
        rows.append(row)
    if errors:
        raise InputError(name, f"{len({e.line for e in errors})} ligne(s) invalide(s)", errors)
    return rows


def _day(value: object) -> date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value != "" else None


@dataclass(frozen=True)
class Line:
    """One line of the file that changes something: what it writes and, in French, what
    it changes and why it needs the editor's confirmation (older than the saved state,
    a stage going back); ``new``: the collectivité had no follow-up yet."""

    line: int
    siren: str
    changes: tuple[Change, ...]
    edits: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    new: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings)

    @property
    def kind(self) -> str:
        """The preview's category, in French."""
        if self.warnings:
            return "à confirmer"
        return "nouveau suivi" if self.new else "modification"


@dataclass(frozen=True)
class Plan:
    """What an import would write, line by line, before anything is written."""

    name: str
    lines: tuple[Line, ...]
    unchanged: int                   # lines that change nothing (an export left as it was)
    read: tuple[str, ...]            # the file's headers that are read
    ignored: tuple[str, ...]         # the file's headers recognised and ignored

    def to_confirm(self) -> list[Line]:
        return [x for x in self.lines if x.needs_confirmation]

    def accepted(self, confirmed: set[int] | frozenset[int] = frozenset(), *,
                 force: bool = False) -> list[Line]:
        """Lines written: every one that needs no confirmation, and the confirmed ones."""
        return [x for x in self.lines
                if force or not x.needs_confirmation or x.line in confirmed]

    def refused(self, confirmed: set[int] | frozenset[int] = frozenset()) -> list[Line]:
        return [x for x in self.lines if x.needs_confirmation and x.line not in confirmed]

    def table(self, names: dict[str, str] | None = None) -> pd.DataFrame:
        """The preview as a French table (one row per line that changes something)."""
        names = names or {}
        return pd.DataFrame({
            "Ligne": [x.line for x in self.lines],
            "Collectivité": [names.get(x.siren, x.siren) for x in self.lines],
            "SIREN": [x.siren for x in self.lines],
            "Changement": [" ; ".join(x.edits) for x in self.lines],
            "Nature": [x.kind for x in self.lines],
            "À confirmer parce que": [" ; ".join(x.warnings) for x in self.lines]},
            columns=["Ligne", "Collectivité", "SIREN", "Changement", "Nature",
                     "À confirmer parce que"])


class NeedsConfirmation(InputError):
    """Lines older than the saved follow-up or moving a stage back: nothing written."""


def _stage_label(code: object) -> str:
    return STAGES.get(code, str(code)) if isinstance(code, str) else STAGES[DEFAULT_STAGE]


def compare(row: Row, current: dict, earlier_notes: dict[str, date | None]) -> Line | None:
    """What ``row`` changes in the collectivité's ``current`` follow-up (a row of
    ``followup.state``, {} when none) and whether it needs a confirmation; None when it
    changes nothing. ``earlier_notes``: the collectivité's notes already in the log
    (text -> date), so that an old export's « Dernière note » is not taken for a new one.
    """
    order = list(STAGES)
    cur_stage = current.get("etape") if isinstance(current.get("etape"), str) \
        else DEFAULT_STAGE
    cur_since = _day(current.get("etape_depuis"))
    cur_note = _text(current.get("derniere_note"))
    cur_note_day = _day(current.get("date_derniere_note"))
    cur_contact = _text(current.get("contact"))
    cur_next = _day(current.get("prochaine_action"))
    saved_at = current.get("mis_a_jour_le")
    edits: list[str] = []
    warnings: list[str] = []
    changes: list[Change] = []

    etape = row.etape if row.etape not in (None, cur_stage) else None
    stage_day = row.date or (row.etape_depuis if row.etape_depuis != cur_since else None)
    if etape is not None:
        edits.append(f"étape : {_stage_label(cur_stage)} → {_stage_label(etape)}")
        if order.index(etape) < order.index(cur_stage):
            warnings.append(f"l'étape reculerait de « {_stage_label(cur_stage)} » à "
                            f"« {_stage_label(etape)} »")
        if stage_day is not None and cur_since is not None and stage_day < cur_since:
            warnings.append(f"étape datée du {date_fr(stage_day)}, avant l'étape enregistrée "
                            f"« {_stage_label(cur_stage)} » du {date_fr(cur_since)}")
    contact = row.contact if row.contact not in (None, cur_contact) else None
    if contact is not None:
        edits.append(f"contact : {cur_contact or '(aucun)'} → {contact}")
    pa = row.prochaine_action if row.prochaine_action not in (None, cur_next) else None
    if pa is not None:
        edits.append(f"prochaine action : {date_fr(cur_next) or '(aucune)'} → {date_fr(pa)}")
    if etape or contact or pa:
        changes.append(Change(row.siren, etape=etape, date_effet=stage_day if etape else None,
                              prochaine_action=pa, contact=contact))

    # Notes: the « note » column of a file of one's own, and the exports' « Dernière note »
    # when its text or its date was edited (recorded as a new note, dated as typed).
    for text, day in ((row.note, row.date),
                      (row.derniere_note, row.date_derniere_note or row.date)):
        if text is None:
            continue
        same_text = text == cur_note
        if same_text and (day is None or day == cur_note_day):
            continue
        if not same_text and text in earlier_notes:
            warnings.append(f"la note « {_short(text)} » est une note précédente (du "
                            f"{date_fr(earlier_notes[text]) or 'jour inconnu'}), remplacée "
                            f"depuis par « {_short(cur_note or '')} »")
        edits.append(f"note du {date_fr(day or date.today())} : « {_short(text)} »"
                     if not same_text else
                     f"date de la note : {date_fr(cur_note_day)} → {date_fr(day)}")
        changes.append(Change(row.siren, note=text, date_effet=day))
    if not changes:
        return None
    if (row.mis_a_jour_le is not None and saved_at is not None and not pd.isna(saved_at)
            and row.mis_a_jour_le < pd.Timestamp(saved_at).floor("s")):
        editor = current.get("dernier_editeur")
        warnings.insert(0, "ligne plus ancienne que le suivi enregistré (exportée le "
                        f"{date_heure_fr(row.mis_a_jour_le)}, modifiée depuis le "
                        f"{date_heure_fr(saved_at)}"
                        + (f" par {editor_label(editor)}" if isinstance(editor, str) else "")
                        + ")")
    return Line(row.line, row.siren, tuple(changes), tuple(edits), tuple(warnings),
                new=not current)


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def plan_bytes(con: duckdb.DuckDBPyConnection, data: bytes, name: str, *,
               allowed: set[str] | None = None, scope: str = "") -> Plan:
    """Read and check the file and compare each line with the saved follow-up: the
    preview of what an import would write (nothing is written). Raises InputError for a
    file that cannot be imported at all (bad lines, a change outside the editor's
    territories)."""
    rows = parse(data, name, followup.known_sirens(con))
    current = {r["siren"]: r for r in followup.state(con).to_dict("records")}
    sirens = sorted({r.siren for r in rows})
    log = followup.log(con, sirens)
    notes: dict[str, dict[str, date | None]] = {}
    for entry in log[log["champ"].eq("note")].to_dict("records") if len(log) else []:
        notes.setdefault(entry["siren"], {})[entry["valeur"]] = _day(entry["date_effet"])
    lines = [x for r in rows
             if (x := compare(r, current.get(r.siren, {}), notes.get(r.siren, {})))]
    if allowed is not None:
        outside = [LineError(x.line, f"SIREN {x.siren} hors de votre territoire ({scope})")
                   for x in lines if x.siren not in allowed]
        if outside:
            raise InputError(name, f"{len(outside)} ligne(s) hors de votre territoire : "
                                   "rien n'a été enregistré", outside)
    headers = _file_headers(data)
    read = tuple(h for h in headers if _HEADERS.get(_fold(h), _fold(h)) in COLUMNS)
    ignored = tuple(h for h in headers if h not in read)
    return Plan(name, tuple(lines), len(rows) - len(lines), read, ignored)


def _file_headers(data: bytes) -> list[str]:
    """The file's first line as written (for the preview's « colonnes lues / ignorées »)."""
    if data[:4] == b"PK\x03\x04":
        return [str(c) for c in pd.read_excel(io.BytesIO(data), nrows=0).columns]
    text = data.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.splitlines() else ""
    return next(csv.reader([first], delimiter=sniff_delimiter(first)), [])


def apply(con: duckdb.DuckDBPyConnection, plan: Plan, *, editor: str,
          confirmed: set[int] | frozenset[int] = frozenset(), force: bool = False,
          allowed: set[str] | None = None, scope: str = "") -> int:
    """Write the plan's accepted lines (see ``Plan.accepted``) to the log, all at once;
    rows written. Lines needing a confirmation that is not given are left out."""
    lines = plan.accepted(confirmed, force=force)
    changes = [ch for x in lines for ch in x.changes]
    if not changes:
        return 0
    return followup.record(con, changes, editor=editor, origin=f"import:{plan.name}",
                           source_name=plan.name, line_offset=2, allowed=allowed,
                           scope=scope)


def refusal(plan: Plan, lines: list[Line]) -> NeedsConfirmation:
    """The French refusal naming each line that needs a confirmation."""
    return NeedsConfirmation(
        plan.name, f"{len(lines)} ligne(s) à confirmer : rien n'a été enregistré. "
                   "Vérifiez-les, puis relancez avec --force pour les accepter, ou "
                   "retirez-les du fichier",
        [LineError(x.line, f"SIREN {x.siren} : " + " ; ".join(x.warnings)) for x in lines])


def import_bytes(con: duckdb.DuckDBPyConnection, data: bytes, name: str, *,
                 editor: str, allowed: set[str] | None = None, scope: str = "",
                 force: bool = False) -> int:
    """Check, compare, then append what the file changes to the log, all or nothing; rows
    written. Lines older than the saved follow-up or moving a stage back raise
    ``NeedsConfirmation`` (nothing written) unless ``force``. ``allowed``: an editor
    limited to territories may change only those collectivités."""
    plan = plan_bytes(con, data, name, allowed=allowed, scope=scope)
    if plan.to_confirm() and not force:
        raise refusal(plan, plan.to_confirm())
    return apply(con, plan, editor=editor, force=force, allowed=allowed, scope=scope)


def import_file(con: duckdb.DuckDBPyConnection, path: str | Path, *, editor: str,
                allowed: set[str] | None = None, scope: str = "", force: bool = False) -> int:
    return import_bytes(con, read_file(path), Path(path).name, editor=editor,
                        allowed=allowed, scope=scope, force=force)


def read_file(path: str | Path) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise InputError(str(p), "fichier introuvable")
    return p.read_bytes()


def template() -> pd.DataFrame:
    """An empty table with the columns of a file of one's own (offered as a download)."""
    return pd.DataFrame(columns=["siren", "nom", "etape", "date", "note", "prochaine_action",
                                 "contact"])
