"""Reads and writes of the outreach pages (suivi, changements, atelier, prévision).

User tables are read fresh on every run (an editor must see their note at once; they are
small), harvested data through ``ui.cache``. Writes open a short read-write connection;
inside one Streamlit process a read-only connection of another session may hold the file
for a moment, so opening is retried instead of failing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TypeVar

import duckdb
import pandas as pd
import streamlit as st

from odlab_compliance import db
from odlab_compliance.db import facts
from odlab_compliance.model.status import StatusAt
from odlab_compliance.outreach import followup, workshops
from odlab_compliance.ui import cache, selection
from odlab_compliance.ui.shell import Context

T = TypeVar("T")
_WRITE_WAIT = 20.0


@contextmanager
def _retrying(open_cm: Callable[[], AbstractContextManager[T]]) -> Iterator[T]:
    """Enter ``open_cm()``, retrying while DuckDB refuses a second configuration of the
    file in this process (a read-only connection of one session while another writes):
    both are short-lived, so waiting a moment is enough."""
    deadline = time.monotonic() + _WRITE_WAIT
    while True:
        cm = open_cm()
        try:
            value = cm.__enter__()
            break
        except duckdb.ConnectionException as exc:
            if "configuration" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield value
    except BaseException:
        if not cm.__exit__(*sys.exc_info()):
            raise
    else:
        cm.__exit__(None, None, None)


@contextmanager
def writer(ctx: Context, *, user_work: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-write connection (migrated). ``user_work``: only what users type is
    written (follow-up, workshops, letters, campaigns), so the cached data stays valid
    (``cache.writing``); False for anything the model reads (a matching decision)."""
    with cache.writing(ctx.settings, user_work=user_work) as opened, \
            _retrying(lambda: db.connect(ctx.settings)) as con:
        opened()
        yield con


def read(ctx: Context, func: Callable[[duckdb.DuckDBPyConnection], T], empty: T) -> T:
    """``func(con)`` on a read-only connection; ``empty`` when the user tables are not
    there yet (a database created before them: the first write creates them)."""
    with _retrying(lambda: db.reader(ctx.settings.db_path)) as con:
        if con is None or not facts.table_exists(con, "followup_log"):
            return empty
        return func(con)


def followup_state(ctx: Context) -> pd.DataFrame:
    return read(ctx, followup.state, pd.DataFrame(columns=["siren", "etape"]))


def followup_log(ctx: Context, sirens: list[str] | None = None) -> pd.DataFrame:
    return read(ctx, lambda con: followup.log(con, sirens), pd.DataFrame())


def state_export(ctx: Context, sirens: set[str]) -> pd.DataFrame:
    """The follow-up state of ``sirens`` for a person: French headers and stage labels
    (``followup import`` reads it back as it is)."""
    from odlab_compliance import auth, vocab

    df = read(ctx, followup.state_with_names, pd.DataFrame(columns=followup.STATE_COLUMNS))
    df = df[df["siren"].isin(sirens)]
    df = df.assign(etape=vocab.ETAPE.labelled(df["etape"]),
                   type=vocab.TYPE.labelled(df["type"]),
                   dernier_editeur=df["dernier_editeur"].map(auth.editor_label))
    return df.rename(columns=followup.COLUMN_LABELS).reset_index(drop=True)


def log_export(ctx: Context, sirens: set[str]) -> pd.DataFrame:
    """The log of ``sirens`` for a person: names, French fields, values and headers."""
    log = followup_log(ctx, sorted(sirens))
    if log.empty:
        return pd.DataFrame(columns=list(followup.LOG_LABELS.values()))
    names = dict(zip(ctx.ref["siren"].astype(str), ctx.ref["nom"].astype(str), strict=False))
    out = followup.readable_log(log).assign(nom=log["siren"].map(names))
    return out[list(followup.LOG_LABELS)].rename(columns=followup.LOG_LABELS)


def workshop_list(ctx: Context) -> pd.DataFrame:
    return read(ctx, workshops.list_workshops, pd.DataFrame())


def invitations(ctx: Context, workshop_id: int | None = None) -> pd.DataFrame:
    return read(ctx, lambda con: workshops.invitations(con, workshop_id), pd.DataFrame(
        columns=["workshop_id", "date_atelier", "siren", "nom", "present"]))


def invited(ctx: Context) -> frozenset[str]:
    return read(ctx, workshops.invited_sirens, frozenset())


def status_or_stop(ctx: Context) -> StatusAt:
    """The statuses of the user's choices, or stop the page with a French message (empty
    database, or no snapshot yet: these pages need statuses)."""
    at = selection.selection(ctx)
    if at is None or not at.has_status:
        # selection() has already said why (empty base, or no snapshot yet).
        st.stop()
    return at


def history(ctx: Context, sirens: list[str]) -> pd.DataFrame:
    """siren, date_snapshot, statut... of the given collectivités at every snapshot."""
    return cache.history(ctx.sig, ctx.rule, tuple(sorted(set(sirens))))


def with_centroids(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows plus lon/lat of the reference (by SIREN: EPCI and départements too)."""
    ref = ctx.ref
    if ref.empty or {"lon", "lat"} <= set(frame.columns):
        return frame
    coords = ref.dropna(subset=["siren"]).drop_duplicates("siren")[["siren", "lon", "lat"]]
    return frame.merge(coords, on="siren", how="left")
