"""Follow-up of collectivités by prefecture staff: an append-only log and its current state.

Every change (stage, dated note, next-action date, contact person) is one row of
``followup_log`` with who, when and from where. Nothing is updated in place: the current
state is computed from the log (``db/sql/followup_state.sql``), so both always agree and
two editors writing at the same time only ever add rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.errors import InputError, LineError
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.model.status import StatusModel
from odlab_compliance.territory import Territory

# The pipeline, in order (code -> label, from the vocabulary).
STAGES: dict[str, str] = vocab.ETAPE.labels()
DEFAULT_STAGE = vocab.DEFAULT_STAGE
FIELDS = ("etape", "note", "prochaine_action", "contact")
FIELD_LABELS = {"etape": "Étape", "note": "Note", "prochaine_action": "Prochaine action",
                "contact": "Contact"}

# Why an obliged collectivité is "behind" (column name -> French label).
BEHIND_REASONS: dict[str, str] = {
    "ne_publie_pas": "ne publie pas",
    "statut_inconnu": "statut inconnu",
    "ancien": "pas de mise à jour depuis 12 mois",
    "sans_scdl": "aucun jeu au format SCDL",
}

_CONFLICT_RETRIES = 5
# Columns of the "behind" list as shown and exported, in order.
BEHIND_COLUMNS = ["siren", "code_insee", "nom", "type", "departement", "epci_siren",
                  "population_totale", "obligation", "statut", "nb_jeux",
                  "derniere_mise_a_jour", "schemas_scdl", "retard", "etape", "etape_depuis",
                  "prochaine_action", "contact", "derniere_note", "date_derniere_note",
                  "dernier_editeur"]


@dataclass(frozen=True)
class Change:
    """What an editor changes for one collectivité; None leaves a field as it is.

    ``prochaine_action=""`` clears the next-action date, ``contact=""`` the contact.
    """

    siren: str
    etape: str | None = None
    note: str | None = None
    date_effet: date | None = None
    prochaine_action: date | str | None = None
    contact: str | None = None


def change_problems(change: Change) -> list[str]:
    """French sentences saying what is wrong with a change (empty list: it is valid)."""
    problems = []
    siren_issue = siren_problem(change.siren)
    if siren_issue:
        problems.append(siren_issue)
    if change.etape is not None and change.etape not in STAGES:
        problems.append(f"étape « {change.etape} » inconnue (attendu : {', '.join(STAGES)})")
    pa = change.prochaine_action
    if isinstance(pa, str) and pa != "":
        problems.append(f"date de prochaine action « {pa} » : date attendue")
    if change.note is not None and not change.note.strip():
        problems.append("note vide")
    if all(getattr(change, f) is None for f in FIELDS):
        problems.append("aucun changement")
    return problems


def _rows(change: Change, editor: str, origin: str, lot: str) -> list[list]:
    """Log rows for one change, one per field that it sets."""
    rows = []
    siren = str(change.siren).strip()
    eff = change.date_effet
    if change.etape is not None:
        rows.append([siren, "etape", change.etape, eff])
    if change.note is not None:
        rows.append([siren, "note", change.note.strip(), eff or date.today()])
    if change.prochaine_action is not None:
        pa = change.prochaine_action
        rows.append([siren, "prochaine_action", pa.isoformat() if isinstance(pa, date) else "",
                     None])
    if change.contact is not None:
        rows.append([siren, "contact", change.contact.strip(), None])
    return [r + [editor, origin, lot] for r in rows]


def record(con: duckdb.DuckDBPyConnection, changes: Sequence[Change], *, editor: str,
           origin: str, source_name: str = "saisie", known_sirens: set[str] | None = None,
           line_offset: int = 1) -> int:
    """Append the changes to the log, all or nothing; return the number of rows written.

    Invalid changes raise ``InputError`` naming each bad one (line = position + offset),
    and nothing is written. ``known_sirens``, when given, refuses SIRENs outside it.
    """
    if not editor or not editor.strip():
        raise InputError(source_name, "éditeur inconnu : connectez-vous pour écrire")
    errors = []
    for i, ch in enumerate(changes):
        problems = change_problems(ch)
        if not problems and known_sirens is not None and str(ch.siren).strip() not in known_sirens:
            problems.append(f"SIREN {ch.siren} absent du référentiel des collectivités")
        errors.extend(LineError(i + line_offset, p) for p in problems)
    if errors:
        raise InputError(source_name, "saisie refusée", errors)
    lot = uuid.uuid4().hex[:12]
    rows = [r for ch in changes for r in _rows(ch, editor.strip(), origin, lot)]
    if not rows:
        return 0
    _insert_with_retry(con, rows)
    return len(rows)


def _insert_with_retry(con: duckdb.DuckDBPyConnection, rows: list[list]) -> None:
    # Appends never conflict on data, but two connections of one process committing at the
    # same instant may still get a transaction conflict from DuckDB: retry, never lose.
    for attempt in range(_CONFLICT_RETRIES):
        try:
            with db.transaction(con):
                con.executemany(
                    "INSERT INTO followup_log (siren, champ, valeur, date_effet, editeur, "
                    "origine, lot) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return
        except duckdb.TransactionException:
            if attempt == _CONFLICT_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def log(con: duckdb.DuckDBPyConnection, sirens: Sequence[str] | None = None) -> pd.DataFrame:
    """The log (one row per change of one field), oldest first; all SIRENs when None."""
    params = {"sirens": list(sirens) if sirens is not None else None}
    return con.execute(db.sql("followup_log"), params).df()


def readable_log(entries: pd.DataFrame) -> pd.DataFrame:
    """The log in French for a page: field labels, stage labels, ISO dates as dates."""
    out = entries.copy()
    is_stage = out["champ"] == "etape"
    out.loc[is_stage, "valeur"] = out.loc[is_stage, "valeur"].map(lambda v: STAGES.get(v, v))
    is_date = out["champ"] == "prochaine_action"
    out.loc[is_date, "valeur"] = out.loc[is_date, "valeur"].map(
        lambda v: date.fromisoformat(v).strftime("%d/%m/%Y") if v else "(effacée)")
    out["champ"] = out["champ"].map(lambda c: FIELD_LABELS.get(c, c))
    return out


def state(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Current follow-up state, one row per SIREN with a log entry (see followup_state.sql)."""
    return con.execute(db.sql("followup_state")).df()


def known_sirens(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every SIREN of the reference, all vintages (a follow-up may outlive a vintage)."""
    rows = con.execute("SELECT DISTINCT siren FROM ref_collectivite WHERE siren IS NOT NULL")
    return {r[0] for r in rows.fetchall()}


# ---------------------------------------------------------------------------------------
# The "behind" list (pure transforms on DataFrames)


def has_scdl(value: object) -> bool:
    """Whether a ``schemas_scdl`` cell lists at least one schema (text or list)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() not in ("", "[]")
    try:
        return len(value) > 0  # type: ignore[arg-type]
    except TypeError:
        return not pd.isna(value)


def with_state(df: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """``df`` (with a ``siren`` column) plus the follow-up state; no log -> 'a_contacter'."""
    out = df.merge(current, on="siren", how="left")
    out["etape"] = out["etape"].fillna(DEFAULT_STAGE)
    out["etape_libelle"] = out["etape"].map(STAGES)
    return out


def behind(status: pd.DataFrame, current: pd.DataFrame,
           obligations: Sequence[str] = (vocab.OBLIGEE,)) -> pd.DataFrame:
    """Obliged collectivités that are behind, with one boolean column per reason and
    ``retard`` (the reasons in French), joined to their follow-up state.

    ``status`` has one row per collectivité: siren, obligation, statut, a_jour,
    schemas_scdl (a status table of ``model.status``).
    """
    df = status[status["obligation"].isin(list(obligations))].copy()
    publishing = df["statut"].isin(vocab.PUBLISHING)
    df["ne_publie_pas"] = df["statut"] == vocab.NON_PUBLIE
    df["statut_inconnu"] = df["statut"] == vocab.INCONNU
    df["ancien"] = publishing & (df["a_jour"].astype("boolean").fillna(False) == False)  # noqa: E712
    df["sans_scdl"] = publishing & ~df["schemas_scdl"].map(has_scdl).astype(bool)
    flags = list(BEHIND_REASONS)
    df = df[df[flags].any(axis=1)].copy()
    df["retard"] = [
        ", ".join(BEHIND_REASONS[f] for f in flags if row[f])
        for row in df[flags].to_dict("records")
    ]
    out = with_state(df, current).reset_index(drop=True)
    # dates as a datetime column (the status table holds python dates and NaT in an
    # object column), so exports and sorting treat them as dates
    out["derniere_mise_a_jour"] = pd.to_datetime(out["derniere_mise_a_jour"])
    return out


def due(current: pd.DataFrame, today: date | None = None) -> pd.DataFrame:
    """Follow-ups whose next-action date is today or past, earliest first."""
    today = today or date.today()
    pa = pd.to_datetime(current["prochaine_action"])
    return current[pa.notna() & (pa <= pd.Timestamp(today))].sort_values("prochaine_action")


def now_text() -> str:
    """Timestamp used in export file names."""
    return datetime.now().strftime("%Y%m%d-%H%M")


def behind_for(con: duckdb.DuckDBPyConnection, rule: str, territory: Territory,
               snapshot: str | int = "latest") -> pd.DataFrame:
    """``behind`` for a territory, from the status table of a snapshot."""
    table = StatusModel.from_connection(con).status_at(territory, rule, snapshot).frame
    return behind(table, state(con)).reindex(columns=BEHIND_COLUMNS)


def state_with_names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The current state with each collectivité's name, type and département (latest
    vintage where it appears), for exports."""
    names = con.execute(
        "SELECT siren, nom, type, departement FROM ref_collectivite WHERE siren IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY siren ORDER BY vintage DESC) = 1").df()
    out = state(con).merge(names, on="siren", how="left")
    out["etape"] = out["etape"].fillna(DEFAULT_STAGE)
    cols = ["siren", "nom", "type", "departement", "etape", "etape_depuis", "prochaine_action",
            "contact", "derniere_note", "date_derniere_note", "nb_notes", "mis_a_jour_le",
            "dernier_editeur"]
    return out[cols]
