"""Snapshots, and which reference vintage judges each one.

A *snapshot* is a finished harvest run (or an imported Observatoire edition): the set of
harvested rows it wrote, visible once the run ended. Its id is the run's id; the raw
``harvest_*`` tables and the run journal call it ``run_id`` (the journal also lists runs
that failed and never became snapshots). From the model upwards — Python, SQL results,
exports, URLs — a snapshot is ``snapshot_id`` and its date ``date_snapshot``, and it
travels as the ``Snapshot`` value below, never as a bare int, dict or DataFrame row.

One rule, here only, says which reference vintage (millésime) judges a snapshot: the
vintage in force at its date, i.e. the newest loaded vintage whose year is not after the
snapshot's year (COG vintage N applies from 1 January N). A snapshot older than every
loaded vintage is judged with the oldest one, and ``VintageChoice.note`` says so: its
obligation column then describes the collectivités as they were later, which the pages
show next to the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.db import facts
from odlab_compliance.errors import UserError
from odlab_compliance.fmt import date_fr

LATEST = "latest"


class SnapshotNotFound(UserError, LookupError):
    """No such snapshot (French message)."""


@dataclass(frozen=True)
class Snapshot:
    """One visible snapshot."""

    id: int
    date: date
    kind: str = vocab.KIND_HARVEST          # vocab.SNAPSHOT_KIND
    territory: str | None = None            # a partial run's territory key; None: national

    @property
    def scope(self) -> str:
        return vocab.SCOPE_NATIONAL if self.territory is None else vocab.SCOPE_PARTIAL

    @property
    def is_observatoire(self) -> bool:
        return self.kind == vocab.KIND_OBSERVATOIRE

    @property
    def origin(self) -> str:
        """What it is, in French: « Collecte », « Collecte partielle (dep:31) »,
        « Édition de l'Observatoire »."""
        text = vocab.SNAPSHOT_KIND.label(self.kind)
        if self.territory:
            text += f" {vocab.SNAPSHOT_SCOPE.label(vocab.SCOPE_PARTIAL)} ({self.territory})"
        return text

    @property
    def label(self) -> str:
        """« 31/12/2022 · Édition de l'Observatoire »."""
        return f"{date_fr(self.date)} · {self.origin}"

    def columns(self) -> dict[str, object]:
        """The columns that identify it in a table or an export."""
        return {"snapshot_id": self.id, "date_snapshot": pd.Timestamp(self.date),
                "kind": self.kind}


def from_row(row: dict) -> Snapshot:
    territory = row.get("territory")
    return Snapshot(id=int(row["snapshot_id"]), date=pd.Timestamp(row["date_snapshot"]).date(),
                    kind=str(row["kind"]),
                    territory=None if territory is None or pd.isna(territory) else str(territory))


def list_snapshots(con: duckdb.DuckDBPyConnection) -> list[Snapshot]:
    """Visible snapshots, newest first (empty on a database without harvest tables)."""
    if not facts.table_exists(con, "harvest_run"):
        return []
    rows = con.execute(db.sql("snapshot_visible"), list(vocab.VISIBLE_RUNS)).df()
    return [from_row(r) for r in rows.to_dict("records")]


def resolve(snapshots: Sequence[Snapshot], ref: object = LATEST) -> Snapshot:
    """The snapshot named by ``ref``: ``latest``, an id (int or digits), a date (the
    latest snapshot of that day, ``date`` or ``AAAA-MM-JJ``), or a Snapshot."""
    if isinstance(ref, Snapshot):
        return ref
    if not snapshots:
        raise SnapshotNotFound("aucun instantané terminé : lancez « python -m odlab_compliance "
                               "harvest » d'abord")
    text = str(ref).strip()
    if ref is None or text == LATEST:
        return snapshots[0]
    if isinstance(ref, int) or text.isdigit():
        found = [s for s in snapshots if s.id == int(text)]
        if not found:
            raise SnapshotNotFound(f"instantané {text} introuvable ou inachevé (disponibles : "
                                   f"{', '.join(str(s.id) for s in snapshots)})")
        return found[0]
    try:
        day = ref if isinstance(ref, date) else date.fromisoformat(text)
    except ValueError:
        raise SnapshotNotFound(f"instantané « {text} » : attendu latest, un numéro ou une "
                               "date AAAA-MM-JJ") from None
    found = [s for s in snapshots if s.date == day]
    if not found:
        raise SnapshotNotFound(f"aucun instantané le {date_fr(day)}")
    return found[0]


def at_date(snapshots: Sequence[Snapshot], day: date) -> Snapshot | None:
    """The snapshot in force at ``day``: the latest made on or before it (None if none)."""
    eligible = [s for s in snapshots if s.date <= day]
    return max(eligible, key=lambda s: (s.date, s.id)) if eligible else None


@dataclass(frozen=True)
class VintageChoice:
    """The reference vintage that judges a snapshot, and why."""

    vintage: int
    in_force: bool      # False: the snapshot predates every loaded vintage
    note: str           # French, shown next to the figures when not in force

    def __int__(self) -> int:
        return self.vintage


def vintage_for(day: date, loaded: Sequence[int]) -> VintageChoice:
    """The vintage in force at ``day`` among the ``loaded`` ones (see module doc)."""
    if not loaded:
        raise SnapshotNotFound("aucun millésime du référentiel n'est chargé : lancez "
                               "« python -m odlab_compliance reference update »")
    older = [v for v in loaded if v <= day.year]
    if older:
        return VintageChoice(max(older), True, "")
    oldest = min(loaded)
    return VintageChoice(oldest, False,
                         f"Situation du {date_fr(day)} jugée avec le référentiel {oldest}, le "
                         f"plus ancien chargé : aucun millésime de {day.year} ou avant n'est "
                         f"chargé (les communes et intercommunalités sont celles de {oldest}).")
