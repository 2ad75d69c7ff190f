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
from datetime import date

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

_CONFLICT_RETRIES = 5
# Columns of the worklist as shown and exported, in order. « Mis à jour le » (the time of
# the latest saved change) lets the import tell an edited export from an older one.
WORKLIST_COLUMNS = ["siren", "code_insee", "nom", "type", "departement", "epci_siren",
                    "population_totale", "obligation", "statut", "nb_jeux",
                    "derniere_mise_a_jour", "schemas_scdl", "categorie", "motifs", "action",
                    "etape", "etape_depuis", "prochaine_action", "contact", "derniere_note",
                    "date_derniere_note", "dernier_editeur", "mis_a_jour_le"]
# French headers of the worklist and of the follow-up state, shared by the page, its
# downloads and the import (which reads these headers back).
COLUMN_LABELS = {"siren": "SIREN", "code_insee": "Code", "nom": "Nom", "type": "Type",
                 "departement": "Dép.", "epci_siren": "EPCI", "epci_nom": "Intercommunalité",
                 "population_totale": "Population", "obligation": "Obligation",
                 "statut": "Statut", "nb_jeux": "Jeux",
                 "derniere_mise_a_jour": "Dernière mise à jour",
                 "schemas_scdl": "Schémas SCDL", "categorie": "Liste", "motifs": "Motifs",
                 "action": "Action proposée", "etape": "Étape", "etape_depuis": "Depuis",
                 "prochaine_action": "Prochaine action", "contact": "Contact",
                 "derniere_note": "Dernière note", "date_derniere_note": "Date de la note",
                 "nb_notes": "Notes", "mis_a_jour_le": "Mis à jour le",
                 "dernier_editeur": "Dernier éditeur", "note": "Note", "date": "Date",
                 # the worklist's e-mail (Suivi's contact, else the Annuaire's) and where it
                 # comes from: exported, so an import names them as ignored, not unknown
                 "courriel": "Courriel (suivi ou annuaire)",
                 "contact_origine": "Source du contact"}
STATE_COLUMNS = ["siren", "nom", "type", "departement", "etape", "etape_depuis",
                 "prochaine_action", "contact", "derniere_note", "date_derniere_note",
                 "nb_notes", "mis_a_jour_le", "dernier_editeur"]


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
           line_offset: int = 1, allowed: set[str] | None = None, scope: str = "") -> int:
    """Append the changes to the log, all or nothing; return the number of rows written.

    Invalid changes raise ``InputError`` naming each bad one (line = position + offset),
    and nothing is written. ``known_sirens``, when given, refuses SIRENs outside it;
    ``allowed`` (an editor limited to territories, ``scope`` naming them) refuses SIRENs
    outside the editor's territories, and the log's ``origine`` records the limit.
    """
    if not editor or not editor.strip():
        raise InputError(source_name, "éditeur inconnu : connectez-vous pour écrire")
    errors = []
    for i, ch in enumerate(changes):
        problems = change_problems(ch)
        if not problems and known_sirens is not None and str(ch.siren).strip() not in known_sirens:
            problems.append(f"SIREN {ch.siren} absent du référentiel des collectivités")
        if not problems and allowed is not None and str(ch.siren).strip() not in allowed:
            problems.append(f"SIREN {ch.siren} hors de votre territoire ({scope})")
        errors.extend(LineError(i + line_offset, p) for p in problems)
    if errors:
        raise InputError(source_name, "saisie refusée", errors)
    lot = uuid.uuid4().hex[:12]
    if scope:
        origin = f"{origin} (limité à {scope})"
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


LOG_LABELS = {"saisi_le": "Saisi le", "siren": "SIREN", "nom": "Nom", "editeur": "Éditeur",
              "champ": "Champ", "valeur": "Valeur", "date_effet": "Date",
              "origine": "Origine"}
_ORIGINS = {"page": "tableau de bord", "cli": "ligne de commande"}


def _origin_label(origin: object) -> str:
    """``page``, ``cli``, ``import:suivi.csv`` (+ `` (limité à dep:31)``) in French."""
    text = "" if origin is None else str(origin)
    head, sep, tail = text.partition(" (")
    if head.startswith("import:"):
        head = f"import de {head[len('import:'):]}"
    else:
        head = _ORIGINS.get(head, head)
    return head + (sep + tail if sep else "")


def readable_log(entries: pd.DataFrame) -> pd.DataFrame:
    """The log in French for a page: field labels, stage labels, ISO dates as dates,
    editors and origins as people read them."""
    from odlab_compliance.auth import editor_label

    out = entries.copy()
    is_stage = out["champ"] == "etape"
    out.loc[is_stage, "valeur"] = out.loc[is_stage, "valeur"].map(lambda v: STAGES.get(v, v))
    is_date = out["champ"] == "prochaine_action"
    out.loc[is_date, "valeur"] = out.loc[is_date, "valeur"].map(
        lambda v: date.fromisoformat(v).strftime("%d/%m/%Y") if v else "(effacée)")
    is_contact = out["champ"] == "contact"
    out.loc[is_contact, "valeur"] = out.loc[is_contact, "valeur"].map(
        lambda v: v if v else "(effacé)")
    out["champ"] = out["champ"].map(lambda c: FIELD_LABELS.get(c, c))
    if "editeur" in out.columns:
        out["editeur"] = out["editeur"].map(editor_label)
    if "origine" in out.columns:
        out["origine"] = out["origine"].map(_origin_label)
    return out


def state(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Current follow-up state, one row per SIREN with a log entry (see followup_state.sql)."""
    return con.execute(db.sql("followup_state")).df()


def known_sirens(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every SIREN of the reference, all vintages (a follow-up may outlive a vintage)."""
    rows = con.execute("SELECT DISTINCT siren FROM ref_collectivite WHERE siren IS NOT NULL")
    return {r[0] for r in rows.fetchall()}


# ---------------------------------------------------------------------------------------
# The worklist (pure transforms on DataFrames)


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


def _column(df: pd.DataFrame, name: str, default: object = pd.NA) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index,
                                                          dtype="object")


def reasons(status: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per worklist reason (``vocab.MOTIF_TRAVAIL``), same index.

    Late is only what the source shows: "older than 12 months" needs a date
    (``a_jour`` known), "no SCDL dataset" needs a source that declares schemas — a harvest
    where the collectivité has datasets on data.gouv.fr, which states each resource's
    schema (Opendatasoft and DCAT portals and the Observatoire's editions do not). When
    the source says nothing, the reason is "unknown", never "late".
    """
    obliged = status["obligation"].eq(vocab.OBLIGEE)
    statut = status["statut"] if "statut" in status.columns else pd.Series(
        pd.NA, index=status.index, dtype="object")
    publishing = obliged & statut.isin(vocab.PUBLISHING)
    fresh = _column(status, "a_jour").astype("boolean")
    scdl = _column(status, "schemas_scdl", None).map(has_scdl).astype(bool)
    from_edition = _column(status, "kind", None).eq(vocab.KIND_OBSERVATOIRE)
    on_datagouv = pd.to_numeric(_column(status, "nb_jeux_datagouv"), errors="coerce") \
        .fillna(0) > 0
    schemas_listed = on_datagouv & ~from_edition
    agents_known = pd.to_numeric(_column(status, "agents_min"), errors="coerce").notna()
    to_check = status["obligation"].eq(vocab.A_VERIFIER)
    out = pd.DataFrame({
        vocab.MOTIF_NE_PUBLIE_PAS: obliged & statut.eq(vocab.NON_PUBLIE).fillna(False),
        vocab.MOTIF_ANCIEN: publishing & fresh.eq(False).fillna(False),
        vocab.MOTIF_SANS_SCDL: publishing & ~scdl & schemas_listed,
        vocab.MOTIF_STATUT_INCONNU: obliged & (statut.eq(vocab.INCONNU).fillna(False)
                                               | statut.isna()),
        vocab.MOTIF_DATE_INCONNUE: publishing & fresh.isna(),
        vocab.MOTIF_SCHEMAS_INCONNUS: publishing & ~scdl & ~schemas_listed,
        vocab.MOTIF_EFFECTIF: to_check & ~agents_known,
        vocab.MOTIF_SEUIL: to_check & agents_known,
    }, index=status.index)
    return out[list(vocab.MOTIF_TRAVAIL)].astype(bool)


def worklist(status: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The prefecture's worklist: obliged collectivités that are late, those whose status
    the source leaves unknown, and those whose obligation is to be checked (their staff
    count to obtain), each with ``categorie`` (``vocab.TRAVAIL``), ``motifs`` and
    ``action`` in French, one boolean column per reason, and the follow-up state.

    ``status``: a status table of ``model.status`` (one row per collectivité).
    """
    flags = reasons(status)
    keep = flags.any(axis=1)
    df = status[keep].copy()
    flags = flags[keep]
    order = list(vocab.TRAVAIL)
    records = flags.to_dict("records")
    df["categorie"] = [min((vocab.MOTIF_CATEGORIE[m] for m, on in r.items() if on),
                           key=order.index) for r in records]
    # Only the reasons of its category: a late collectivité is not also "to evaluate".
    chosen = [[m for m, on in r.items() if on and vocab.MOTIF_CATEGORIE[m] == cat]
              for r, cat in zip(records, df["categorie"], strict=True)]
    df["motifs"] = [", ".join(vocab.MOTIF_TRAVAIL.label(m) for m in ms) for ms in chosen]
    df["action"] = ["; ".join(dict.fromkeys(vocab.MOTIF_TRAVAIL[m].help for m in ms))
                    for ms in chosen]
    for code in vocab.MOTIF_TRAVAIL:
        df[code] = [code in ms for ms in chosen]
    out = with_state(df, current)
    # dates as a datetime column (the status table holds python dates and NaT in an
    # object column), so exports and sorting treat them as dates
    out["derniere_mise_a_jour"] = pd.to_datetime(_column(out, "derniere_mise_a_jour"))
    out["_o"] = out["categorie"].map(order.index)
    out = out.sort_values(["_o", "population_totale", "nom"], ascending=[True, False, True])
    return out.drop(columns="_o").reset_index(drop=True)


def due(current: pd.DataFrame, today: date | None = None, within_days: int = 0
        ) -> pd.DataFrame:
    """Follow-ups whose next-action date is past or within ``within_days`` of today,
    earliest first."""
    today = today or date.today()
    pa = pd.to_datetime(current["prochaine_action"])
    limit = pd.Timestamp(today) + pd.Timedelta(days=within_days)
    return current[pa.notna() & (pa <= limit)].sort_values("prochaine_action")


def worklist_for(con: duckdb.DuckDBPyConnection, rule: str, territory: Territory,
                 snapshot: str | int = "latest") -> pd.DataFrame:
    """``worklist`` for a territory, from the status table of a snapshot."""
    table = StatusModel.from_connection(con).status_at(territory, rule, snapshot).frame
    return worklist(table, state(con)).reindex(columns=WORKLIST_COLUMNS)


def state_with_names(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The current state with each collectivité's name, type and département (latest
    vintage where it appears), for exports."""
    names = con.execute(
        "SELECT siren, nom, type, departement FROM ref_collectivite WHERE siren IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY siren ORDER BY vintage DESC) = 1").df()
    out = state(con).merge(names, on="siren", how="left")
    out["etape"] = out["etape"].fillna(DEFAULT_STAGE)
    return out[STATE_COLUMNS]


def agents_template(work: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The prefecture's staff-count file to fill (``siren;agents;annee;source``, read by
    ``agents import``) for the collectivités whose staff count is to obtain; ``nom`` is
    added for the reader and ignored by the import."""
    rows = work[work["categorie"].eq(vocab.TRAVAIL_EFFECTIF)]
    return pd.DataFrame({"siren": rows["siren"].astype(str), "agents": "",
                         "annee": str(year or date.today().year), "source": "",
                         "nom": rows["nom"].astype(str)}).reset_index(drop=True)
