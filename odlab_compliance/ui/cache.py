"""Cached reads for the pages: the only place of the dashboard that caches.

Every cached function takes the database *signature* (path and modification time) as
its first argument, so a harvest or a reference update run from the CLI invalidates the
cache by itself. Large objects (status tables of 40,000 rows, geometries) use
``st.cache_resource`` (shared, never copied: callers must not modify them); small ones
``st.cache_data``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from odlab_compliance import db
from odlab_compliance.analysis import changes
from odlab_compliance.config import Settings, load_settings
from odlab_compliance.db import facts
from odlab_compliance.ingest.harvest import journal as run_journal
from odlab_compliance.model import coverage, obligation, publication, review
from odlab_compliance.model import snapshots as snapshot_layer
from odlab_compliance.model.figures import figures
from odlab_compliance.model.obligation import get_rule
from odlab_compliance.model.snapshots import LATEST, Snapshot
from odlab_compliance.model.status import StatusModel, StatusTables
from odlab_compliance.present import area_maps, maps
from odlab_compliance.territory import Territory
from odlab_compliance.ui import queries


class DbSig(NamedTuple):
    path: str
    mtime: int


def _file_signature(settings: Settings) -> DbSig:
    path = settings.db_path
    stamps = [p.stat().st_mtime_ns for p in (path, Path(f"{path}.wal")) if p.is_file()]
    return DbSig(str(path), max(stamps) if stamps else 0)


# A note, a workshop, a letter template or a campaign written from a page changes the
# file, but none of the tables a cached read comes from (the model never reads what users
# type). The file state after such a write is recorded here as holding the same data as
# the one before, so the status tables, maps and profiles stay warm: recomputing them all
# made saving a note take 3.5 s. Any other write (a harvest, a reference update, a
# matching decision, from the page or the command line) gives a state not recorded here,
# hence new caches.
_SAME_DATA: dict[DbSig, DbSig] = {}
_SAME_DATA_LOCK = threading.Lock()
_writers = 0          # writes of this process now under way (every session)
_started = 0          # writes of this process ever started: another one began meanwhile?


def signature(settings: Settings | None = None) -> DbSig:
    """The cache key of the database's current state: its path and modification time,
    or the key of the state it has the same data as (see ``_SAME_DATA``)."""
    raw = _file_signature(settings or load_settings())
    with _SAME_DATA_LOCK:
        return _SAME_DATA.get(raw, raw)


@contextmanager
def writing(settings: Settings, *, user_work: bool) -> Iterator[Callable[[], None]]:
    """Wrap a write of the dashboard; the caller calls the function it yields once its
    read-write connection is open. With ``user_work`` (only user tables written), the
    state after the write keeps the cache key of the state at that call, unless another
    write of this process overlapped it. While the connection is open no other process
    can write the file (DuckDB's lock), so the two states are this write's own."""
    global _writers, _started
    before: list[DbSig] = []
    with _SAME_DATA_LOCK:
        _writers += 1
        _started += 1
        alone, mine = _writers == 1, _started
    try:
        yield lambda: before.append(signature(settings))
    finally:
        after = _file_signature(settings)
        with _SAME_DATA_LOCK:
            alone = alone and _started == mine
            _writers -= 1
            if user_work and alone and before and after != before[0]:
                _SAME_DATA[after] = before[0]


def _read(sig: DbSig):  # noqa: ANN202 (a context manager)
    return db.reader(Path(sig.path))


@st.cache_data(show_spinner=False, max_entries=8)
def db_info(sig: DbSig) -> dict:
    """What the database holds: loaded vintages and number of visible snapshots."""
    with _read(sig) as con:
        if con is None:
            return {"vintages": [], "snapshots": 0}
        return {"vintages": facts.loaded_vintages(con),
                "snapshots": len(snapshot_layer.list_snapshots(con))}


@st.cache_resource(show_spinner=False, max_entries=4)
def reference(sig: DbSig, vintage: int) -> pd.DataFrame:
    with _read(sig) as con:
        return queries.reference(con, vintage)


@st.cache_resource(show_spinner=False, max_entries=4)
def territories(sig: DbSig, vintage: int) -> pd.DataFrame:
    with _read(sig) as con:
        return queries.territories(con, vintage)


@st.cache_resource(show_spinner=False, max_entries=8)
def _geometries(sig: DbSig, vintage: int, niveau: str) -> dict[str, bytes]:
    with _read(sig) as con:
        frame = queries.geometries(con, vintage, niveau)
    return dict(zip(frame["code"].astype(str), frame["geometry"], strict=True))


@st.cache_resource(show_spinner=False, max_entries=64)
def geojson(sig: DbSig, vintage: int, niveau: str, codes: tuple[str, ...] | None = None) -> dict:
    """A FeatureCollection of one level, all of it or only ``codes``."""
    geoms = _geometries(sig, vintage, niveau)
    keys = list(geoms) if codes is None else [c for c in codes if c in geoms]
    return maps.feature_collection(keys, [geoms[k] for k in keys])


@st.cache_resource(show_spinner=False, max_entries=32)
def map_figure(sig: DbSig, rule: str, snapshot: Snapshot | None, territory: Territory, kind: str,
               arg: str, basemap: bool) -> tuple[go.Figure, pd.DataFrame]:
    """The Carte page's figure (and its table), built once per database, rule, snapshot,
    territory and option: hover texts of thousands of points are not rebuilt each run.
    Names, outlines and centroids are those of the vintage that judges the snapshot."""
    at = model(sig).status_at(territory, rule, snapshot if snapshot is not None else LATEST)
    vintage = at.vintage.vintage
    outlines = partial(geojson, sig, vintage)
    if kind == "rate":
        return area_maps.rate_map_figure(at.whole, territory, arg, reference(sig, vintage),
                                         territories(sig, vintage), outlines, basemap)
    if kind == "grades":   # communes coloured by publication grade (issue 18)
        frame = publication.attach_grades(at.whole, profiles(sig, at.snapshot)
                                          if at.has_status else None)
        return area_maps.commune_map_figure(frame, territory, arg, outlines, basemap,
                                            by_grade=True)
    return area_maps.commune_map_figure(at.whole, territory, arg, outlines, basemap)


@st.cache_data(show_spinner=False, max_entries=4)
def rules() -> list[dict]:
    return [{"id": r.id, "label": r.label, "short": r.short_label or r.label,
             "basis": r.basis, "description": r.description,
             "assumption": r.assumption, "parameters": dict(r.parameters)}
            for r in obligation.list_rules()]


@st.cache_data(show_spinner=False, max_entries=4)
def parameter_docs() -> dict[str, str]:
    return dict(obligation.parameter_docs())


@st.cache_data(show_spinner=False, max_entries=8)
def snapshots(sig: DbSig) -> list[Snapshot]:
    """Visible snapshots, newest first."""
    with _read(sig) as con:
        return [] if con is None else snapshot_layer.list_snapshots(con)


@st.cache_resource(show_spinner=False, max_entries=2)
def tables(sig: DbSig) -> StatusTables:
    """The model's tables of the database state ``sig`` (``model.status.StatusTables``:
    each status table computed once and shared by every session; a new state, after a
    harvest, gets new tables and the old ones go)."""
    return StatusTables.of_file(Path(sig.path))


def obligations(sig: DbSig, rule: str, vintage: int) -> pd.DataFrame:
    """The obligations of every collectivité of ``vintage`` (kept in ``tables(sig)``)."""
    return tables(sig).obligations(get_rule(rule), vintage)


@st.cache_data(show_spinner=False, max_entries=8)
def agent_coverage(sig: DbSig, vintage: int) -> float | None:
    """Share of the candidates (``model.coverage``) of the whole country whose agent count
    is known, in ``vintage`` (None without candidates)."""
    df = obligations(sig, coverage.RULE_LAW, vintage)
    return figures(df).couverture_effectifs if not df.empty else None


def model(sig: DbSig) -> StatusModel:
    """The status model of the database state ``sig``: its snapshots, vintages and tables
    (all cached above), handed down to the pages in ``shell.Context``."""
    return StatusModel(snapshots(sig), db_info(sig)["vintages"], tables(sig))


@st.cache_data(show_spinner=False, max_entries=64)
def series(sig: DbSig, territory: Territory, rule: str) -> pd.DataFrame:
    """``StatusModel.status_series`` of a territory (one row per snapshot)."""
    return model(sig).status_series(territory, rule)


@st.cache_data(show_spinner=False, max_entries=32)
def history(sig: DbSig, rule: str, sirens: tuple[str, ...]) -> pd.DataFrame:
    """``StatusModel.history`` of some collectivités."""
    return model(sig).history(rule, sirens)


@st.cache_data(show_spinner=False, max_entries=64)
def evidence(sig: DbSig, siren: str, snapshot: Snapshot) -> pd.DataFrame:
    with _read(sig) as con:
        return pd.DataFrame() if con is None else model(sig).evidence(con, siren, snapshot)


@st.cache_resource(show_spinner=False, max_entries=16)
def comparison(sig: DbSig, rule: str, territory: Territory, snap_from: Snapshot,
               snap_to: Snapshot, vintage: int) -> changes.Comparison:
    """``changes.compare`` of two snapshots of a territory (shared: callers must not
    modify it), départements named by the newest reference ``vintage``."""
    names = area_maps.child_names(reference(sig, vintage), territories(sig, vintage), "DEP")
    return changes.compare(model(sig), rule, territory, snap_from, snap_to, names)


@st.cache_data(show_spinner=False, max_entries=4)
def journal(sig: DbSig) -> pd.DataFrame:
    return _table(sig, "harvest_run", run_journal.runs_with_errors)


def _table(sig: DbSig, table: str, query) -> pd.DataFrame:  # noqa: ANN001
    """``query(con)`` when ``table`` exists, else an empty frame (new database)."""
    with _read(sig) as con:
        if con is None or not facts.table_exists(con, table):
            return pd.DataFrame()
        return query(con)


@st.cache_data(show_spinner=False, max_entries=4)
def reference_loads(sig: DbSig) -> pd.DataFrame:
    return _table(sig, "ref_load", queries.reference_loads)


@st.cache_data(show_spinner=False, max_entries=4)
def source_fetches(sig: DbSig) -> pd.DataFrame:
    return _table(sig, "source_fetch", queries.source_fetches)


# -- matching: review queue, report, comparison with the Observatoire ----------------------

@st.cache_data(show_spinner=False, max_entries=4)
def matching_queue(sig: DbSig) -> pd.DataFrame:
    """The review queue (``review.queue``): every source, current decisions."""
    return _table(sig, "match_decision", review.queue)


@st.cache_data(show_spinner=False, max_entries=8)
def matching_report(sig: DbSig, snapshot: Snapshot) -> pd.DataFrame:
    """What became of each publisher of a snapshot (``review.report``)."""
    return _table(sig, "match_decision", lambda con: review.report(con, snapshot))


@st.cache_data(show_spinner=False, max_entries=8)
def edition_comparison(sig: DbSig, rule: str, snapshot: Snapshot) -> review.Comparison | None:
    """An edition's figures next to OpenDataFrance's (``review.edition_comparison``)."""
    m = model(sig)
    at = m.status_at(Territory(), rule, snapshot)
    with _read(sig) as con:
        if con is None:
            return None
        return review.edition_comparison(con, at.whole, snapshot, rule, at.vintage.vintage)


# -- publication quality (issue 18) ---------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=8)
def profiles(sig: DbSig, snapshot: Snapshot) -> pd.DataFrame:
    """Profile and grade of every collectivité with datasets in ``snapshot``
    (``model.publication.snapshot_profiles``; shared, callers must not modify it)."""
    with _read(sig) as con:
        return pd.DataFrame() if con is None else publication.snapshot_profiles(con, snapshot)


@st.cache_data(show_spinner=False, max_entries=64)
def dataset_quality(sig: DbSig, siren: str, snapshot: Snapshot) -> pd.DataFrame:
    """The sheet's datasets table (``model.publication.dataset_table``)."""
    with _read(sig) as con:
        return (pd.DataFrame() if con is None
                else publication.dataset_table(con, siren, snapshot))
