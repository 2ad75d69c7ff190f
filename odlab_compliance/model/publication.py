"""The publication profile and grade of every collectivité at one snapshot, read from the
database (the rules themselves are in ``model.quality``).

A harvest snapshot: the counted datasets attributed to each collectivité (the same
attribution and the same "counted once" as the status, ``model.evidence``), with the
quality fields their source gave and the verdict on their SCDL files. An Observatoire
edition: its dataset counts only, so a partial grade.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.ingest import scdl
from odlab_compliance.model import evidence as ev
from odlab_compliance.model import quality
from odlab_compliance.model.snapshots import Snapshot

# Sources whose API declares the schema of each file (the others cannot say "no SCDL").
SCHEMA_SOURCES = (vocab.SOURCE_DATAGOUV,)


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                            "table_name = ?", [table]).fetchone()[0])


def snapshot_datasets(con: duckdb.DuckDBPyConnection, snap: Snapshot) -> pd.DataFrame:
    """Counted datasets of a harvest snapshot, one row per (dataset, SIREN), with their
    quality fields (NULL where the source gives none)."""
    datasets = con.execute(db.sql("status_datasets"), {"run": snap.id}).df()
    d = ev.attributed_datasets(datasets, ev.effective_matches(con, snap.id))
    if d.empty:
        return d.assign(frequency=None, formats=None, licence=None, quality_score=None,
                        quality_criteria=None)
    d = d[ev.counted(d)].copy()
    d = d[ev.counted_once(d)]
    q = con.execute(db.sql("quality_datasets"), {"run": snap.id}).df()
    return d.merge(q, on=["source_key", "dataset_id"], how="left")


def scdl_files(con: duckdb.DuckDBPyConnection, snap: Snapshot,
               attributed: pd.DataFrame) -> pd.DataFrame:
    """SCDL files of the snapshot with their state, attributed to SIRENs like datasets."""
    files = scdl.resource_states(con, snap.id)
    if files.empty or attributed.empty:
        return files.assign(siren=pd.Series(dtype=object))
    keys = attributed[["source", "dataset_id", "siren", "title"]].drop_duplicates()
    return files.merge(keys, on=["source", "dataset_id"], how="inner")


def snapshot_profiles(con: duckdb.DuckDBPyConnection, snap: Snapshot,
                      sirens: list[str] | None = None) -> pd.DataFrame:
    """One row per collectivité (``quality.PROFILE_COLUMNS``); ``sirens`` adds those
    without datasets (grade E)."""
    if snap.is_observatoire:
        found = ev.observatoire_evidence(con, snap).found
        rows = pd.DataFrame({"siren": found["siren"], "nb_jeux_ptf": found["nb_jeux"],
                             "nb_jeux_datagouv": None})
        out = quality.observatoire_profiles(rows)
        missing = sorted(set(sirens or []) - set(out["siren"]))
        extra = quality.observatoire_profiles(pd.DataFrame(
            {"siren": missing, "nb_jeux_ptf": 0, "nb_jeux_datagouv": 0}))
        return pd.concat([out, extra], ignore_index=True)
    d = snapshot_datasets(con, snap)
    scdl_names = [r[0] for r in con.execute(
        "SELECT schema_name FROM harvest_scdl_schema WHERE run_id = ?", [snap.id]).fetchall()]
    files = scdl_files(con, snap, d) if _has(con, "harvest_resource") else None
    return quality.profiles(d, snap.date, sirens=sirens or [], scdl_names=scdl_names,
                            validations=files, schema_sources=SCHEMA_SOURCES)


def dataset_table(con: duckdb.DuckDBPyConnection, siren: str, snap: Snapshot) -> pd.DataFrame:
    """The sheet's table: each counted dataset of one collectivité with its formats,
    freshness against its declared frequency, SCDL schema and the state of its files."""
    cols = ["titre", "url", "source", "formats", "format_ouvert", "frequence",
            "derniere_mise_a_jour", "a_jour", "schema_scdl", "conformite", "erreurs",
            "premieres_erreurs", "score_qualite", "moissonne_depuis", "messages"]
    if snap.is_observatoire:
        return pd.DataFrame(columns=cols)
    d = snapshot_datasets(con, snap)
    d = d[d["siren"] == siren]
    if d.empty:
        return pd.DataFrame(columns=cols)
    flags = quality.dataset_flags(d, snap.date)
    files = scdl_files(con, snap, d)
    files = files[files["siren"] == siren] if not files.empty else files
    state, errs, first, msgs_of = {}, {}, {}, {}
    order = list(vocab.SCDL_ETAT.codes)
    for key, g in (files.groupby(["source", "dataset_id"]) if not files.empty else []):
        # A dataset's worst file speaks for it: one non-conforming file is what to fix.
        worst = max(g["state"], key=lambda s: (s == vocab.SCDL_INVALIDE, -order.index(s)))
        state[key] = worst
        errs[key] = pd.to_numeric(g["nb_errors"], errors="coerce").sum(min_count=1)
        msgs = [m for ms in g["messages"] for m in ms]
        first[key] = " ; ".join(msgs[:3]) or None
        msgs_of[key] = msgs
    keys = list(zip(flags["source"], flags["dataset_id"], strict=True))
    out = pd.DataFrame({
        "titre": flags["title"], "url": flags["url"], "source": flags["source"],
        "formats": flags["formats"].map(lambda f: ", ".join(quality.split_formats(f)).upper()
                                        or None),
        "format_ouvert": flags["format_ouvert"],
        "frequence": flags["frequency"].map(lambda f: vocab.FREQUENCE.label(f, default=None)
                                            if isinstance(f, str) else None),
        "derniere_mise_a_jour": flags["last_update"], "a_jour": flags["a_jour"],
        "schema_scdl": flags["schemas"].map(_scdl_titles),
        "conformite": [state.get(k) for k in keys],
        "erreurs": [errs.get(k) for k in keys],
        "premieres_erreurs": [first.get(k) for k in keys],
        "score_qualite": flags["quality_score"],
        "moissonne_depuis": flags["harvest_domain"],
        "messages": [msgs_of.get(k, []) for k in keys]})
    # Non-conforming first (what to fix), then the rest by date.
    rank = out["conformite"].map({vocab.SCDL_INVALIDE: 0}).fillna(1)
    out = out.assign(_r=rank).sort_values(["_r", "derniere_mise_a_jour"],
                                          ascending=[True, False], na_position="last")
    return out.drop(columns="_r").reindex(columns=cols).reset_index(drop=True)


def _scdl_titles(cell: object) -> str | None:
    if not isinstance(cell, str) or not cell:
        return None
    names = [s for s in cell.split(",") if s.startswith("scdl/") or s.startswith("etalab/")]
    return ", ".join(quality.schema_title(s) for s in names) or None


def criteria(cell: object) -> dict[str, bool]:
    """data.gouv.fr's criteria stored as JSON (empty when the source gives none)."""
    try:
        return json.loads(cell) if isinstance(cell, str) and cell else {}
    except ValueError:
        return {}


# Profile columns added to a status table (exports, pages), under their export names.
GRADE_COLUMNS = {"note": "note", "note_partielle": "note_partielle",
                 "part_a_jour": "part_a_jour", "part_formats_ouverts": "part_formats_ouverts",
                 "schemas_valides": "schemas_scdl_conformes",
                 "schemas_invalides": "schemas_scdl_non_conformes",
                 "nb_non_verifies": "fichiers_scdl_non_verifies",
                 "score_qualite_median": "score_qualite_median", "pourquoi": "pourquoi_note",
                 "pour_progresser": "pour_progresser", "version_grille": "version_grille"}


def attach_grades(status: pd.DataFrame, profiles: pd.DataFrame | None) -> pd.DataFrame:
    """``status`` (one row per collectivité, with ``siren`` and ``statut``) with the grade
    columns (``GRADE_COLUMNS``) of ``profiles`` (``snapshot_profiles``). A collectivité
    without a profile row published nothing found: E. One whose status is unknown (a
    failed source) has no grade: unknown is not E. Pure."""
    out = status.drop(columns=[c for c in GRADE_COLUMNS.values() if c in status])
    if profiles is None or "siren" not in profiles:
        for col in GRADE_COLUMNS.values():
            out[col] = None
        return out
    prof = profiles[["siren", *GRADE_COLUMNS]].rename(columns=GRADE_COLUMNS)
    out = out.merge(prof, on="siren", how="left")
    missing = out["note"].isna() & ~out["siren"].isin(prof["siren"])
    nothing = quality.profile_row("", quality.Profile(nb_jeux=0))
    for key, col in GRADE_COLUMNS.items():
        out.loc[missing, col] = nothing[key]
    unknown = (out["statut"].eq(vocab.INCONNU) if "statut" in out
               else pd.Series(False, index=out.index))
    out["note_partielle"] = out["note_partielle"].astype("boolean")
    for col in GRADE_COLUMNS.values():
        if col != "version_grille":
            out[col] = out[col].mask(unknown)
    out.loc[unknown, "pourquoi_note"] = ("Pas de note : la source dont dépend cette "
                                         "collectivité a échoué (statut inconnu).")
    return out


def with_grades(con: duckdb.DuckDBPyConnection, status: pd.DataFrame,
                snap: Snapshot | None) -> pd.DataFrame:
    """``attach_grades`` with the profiles of snapshot ``snap`` read from ``con``."""
    if snap is None or status.empty:
        return attach_grades(status, None)
    return attach_grades(status, snapshot_profiles(con, snap))
