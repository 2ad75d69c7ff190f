"""The status of every collectivité at a snapshot: the only way to statuses and counts.

``StatusModel.status_at(territory, rule, snapshot)`` and
``StatusModel.status_series(territory, rule)`` are what pages, CLI exports, changes,
forecast, workshop outcomes and the sheet's history call; none of them chooses a reference
vintage (``snapshots.vintage_for`` does, from the snapshot's date) or computes a rate
(``figures`` does). The national status table of one (rule, snapshot, vintage) is computed
once and kept by ``StatusTables``, the model's own cache: one per CLI command, one per
database state in the dashboard (held by ``ui.cache.tables``). The rule's id becomes a
``Rule`` once, in ``status_at``; the chosen ``Snapshot`` is handed down as it is.

Rules (``STATUS_RULES``, shown by the methodology page):

- ``publie``: at least one counted dataset under its own data.gouv.fr organisation or on
  a portal it runs itself;
- ``publie_via_tiers``: counted datasets only on a platform run by another body;
- ``non_publie``: no counted dataset although every source it depends on answered;
- ``inconnu``: no counted dataset and a source it depends on failed, or no source was
  harvested at all. An Observatoire edition lists publishers only: a collectivité absent
  from it is ``non_publie`` in that edition.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.db.facts import loaded_vintages
from odlab_compliance.model import evidence as ev
from odlab_compliance.model import figures as fig
from odlab_compliance.model import snapshots as snaps
from odlab_compliance.model.obligation import Rule, as_rule, obligations
from odlab_compliance.model.snapshots import Snapshot, VintageChoice
from odlab_compliance.territory import Territory, filter_frame

STATUS_RULES: dict[str, str] = {
    vocab.PUBLIE: "Publie elle-même : au moins un jeu de données (ni archivé, ni supprimé, ni "
                  "donnée de l'État republiée) sous sa propre organisation data.gouv.fr ou "
                  "sur son propre portail.",
    vocab.VIA_TIERS: "Publie par une plateforme mutualisée gérée par un autre organisme "
                     "(métropole, département, région, syndicat), sans portail ni "
                     "organisation data.gouv.fr à elle.",
    vocab.NON_PUBLIE: "Aucun jeu de données trouvé alors que toutes les sources dont elle "
                      "dépend ont répondu (ou absente d'une édition de l'Observatoire, qui "
                      "ne liste que les organisations qui publient).",
    vocab.INCONNU: "Aucun jeu trouvé et une source dont elle dépend a échoué (data.gouv.fr, "
                   "un portail qui l'héberge, une de ses organisations), ou aucune source "
                   "moissonnée : on ne peut pas conclure. Jamais « ne publie pas » par défaut.",
}
FRESH_DAYS = 365
EXPORT_COLUMNS = (
    "siren", "code_insee", "nom", "type", "departement", "region", "obligation", "statut",
    "nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails", "derniere_mise_a_jour", "plateformes",
    "schemas_scdl", "a_jour", "date_snapshot",
)
EXTRA_COLUMNS = ("population_totale", "epci_siren", "proche_seuil", "motif", "statut_detail",
                 "snapshot_id", "kind", "vintage")


def apply_status(base: pd.DataFrame, evidence: ev.Evidence, snap: Snapshot) -> pd.DataFrame:
    """Every collectivité of ``base`` with its evidence and final statut. Pure."""
    found = evidence.found
    found = found.drop(columns=[c for c in found.columns if c in base.columns and c != "siren"])
    out = base.merge(found, on="siren", how="left")
    no_ev = out["statut"].isna()
    if snap.is_observatoire:
        out.loc[no_ev, "statut"] = vocab.NON_PUBLIE
        out.loc[no_ev, "statut_detail"] = "absente de l'édition de l'Observatoire"
    else:
        reasons = [evidence.everyone or evidence.per_siren.get(s)
                   for s in out.loc[no_ev, "siren"]]
        out.loc[no_ev, "statut"] = [vocab.INCONNU if r else vocab.NON_PUBLIE for r in reasons]
        out.loc[no_ev, "statut_detail"] = [r or "aucun jeu de données trouvé" for r in reasons]
    # A zero is a fact only where the harvested sources answered (non_publie); an inconnu,
    # or an Observatoire edition that gives no count, keeps an empty count, never a 0.
    answered = out["statut"].eq(vocab.NON_PUBLIE) & (not snap.is_observatoire)
    for c in ("nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails"):
        vals = pd.to_numeric(out[c]).astype("Int64")
        out[c] = vals.mask(vals.isna() & answered, 0)
    last = pd.to_datetime(out["derniere_mise_a_jour"])
    limit = pd.Timestamp(snap.date - timedelta(days=FRESH_DAYS))
    out["derniere_mise_a_jour"] = last.dt.normalize()   # datetime64: exports write a date
    out["a_jour"] = pd.array([None if pd.isna(v) else bool(v >= limit) for v in last],
                             dtype="boolean")
    for name, value in snap.columns().items():
        out[name] = value
    return out


def status_for(con: duckdb.DuckDBPyConnection, base: pd.DataFrame, snap: Snapshot,
               vintage: int | None = None) -> pd.DataFrame:
    """``apply_status`` on the collectivités of ``base`` (one row each, with ``siren``) at
    ``snap``; ``vintage`` is the reference vintage ``base`` comes from (an edition is
    matched against it). The snapshot is the one the caller chose: never looked up again."""
    found = ev.observatoire_evidence(con, snap, vintage) if snap.is_observatoire \
        else ev.harvest_evidence(con, snap)
    return apply_status(base, found, snap)


def compute_table(con: duckdb.DuckDBPyConnection, rule: Rule, snap: Snapshot,
                  vintage: int) -> pd.DataFrame:
    """The national status table of ``snap`` judged with ``vintage`` under ``rule`` (one row
    per collectivité; ``EXPORT_COLUMNS`` first, then ``EXTRA_COLUMNS``, then the rest).
    Callers go through ``StatusModel``, which chooses the vintage."""
    out = status_for(con, obligations(con, int(vintage), rule), snap, int(vintage))
    first = [c for c in (*EXPORT_COLUMNS, *EXTRA_COLUMNS) if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]].reset_index(drop=True)


class Tables(Protocol):
    """Where a ``StatusModel`` gets its national tables (``StatusTables``, or a test's)."""

    def status(self, rule: Rule, snap: Snapshot, vintage: int) -> pd.DataFrame: ...

    def obligations(self, rule: Rule, vintage: int) -> pd.DataFrame: ...


class StatusTables:
    """The national tables of one database state, each computed once and kept (the
    ``max_entries`` most recently used): the model's own cache. A CLI command builds one
    on its connection; the dashboard keeps one per database state (``ui.cache.tables``)
    and reads through short read-only connections, so a harvest can write meanwhile.

    Tables are shared, never copied: callers must not modify them."""

    def __init__(self, reader: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
                 max_entries: int = 16):
        self._reader = reader
        self._max = max_entries
        self._kept: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        # Sessions of the dashboard run in threads: one computes, the others wait for it.
        self._lock = threading.Lock()

    @classmethod
    def of_connection(cls, con: duckdb.DuckDBPyConnection) -> StatusTables:
        """Tables read through ``con``, open for the whole life of this object."""
        return cls(lambda: nullcontext(con))

    @classmethod
    def of_file(cls, path: Path, max_entries: int = 16) -> StatusTables:
        """Tables read from the database file ``path`` (empty frames while it is absent)."""
        return cls(lambda: db.reader(path), max_entries)

    def _get(self, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], pd.DataFrame]
             ) -> pd.DataFrame:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
            with self._reader() as con:
                table = pd.DataFrame() if con is None else compute(con)
            self._kept[key] = table
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)
            return table

    def status(self, rule: Rule, snap: Snapshot, vintage: int) -> pd.DataFrame:
        return self._get(("status", rule.id, snap, vintage),
                         lambda con: compute_table(con, rule, snap, vintage))

    def obligations(self, rule: Rule, vintage: int) -> pd.DataFrame:
        return self._get(("obligations", rule.id, vintage),
                         lambda con: obligations(con, vintage, rule))


@dataclass(frozen=True)
class StatusAt:
    """The statuses of a territory under a rule at a snapshot (or, with no snapshot yet,
    the obligations alone: no ``statut`` column)."""

    territory: Territory
    rule: str
    snapshot: Snapshot | None
    vintage: VintageChoice
    whole: pd.DataFrame = field(repr=False)   # every collectivité (shared: do not modify)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The collectivités of the territory."""
        return filter_frame(self.whole, self.territory)

    @cached_property
    def figures(self) -> fig.Figures:
        return fig.figures(self.frame)

    @property
    def has_status(self) -> bool:
        return self.snapshot is not None


class StatusModel:
    """Statuses over time for one database state: its snapshots, its loaded vintages and
    the ``Tables`` that compute and keep its national tables."""

    def __init__(self, snapshots: Sequence[Snapshot], vintages: Sequence[int], tables: Tables):
        self.snapshots = list(snapshots)        # newest first
        self.vintages = sorted(vintages, reverse=True)
        self.tables = tables

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection) -> StatusModel:
        """A model reading ``con``, each table computed once for this model's life."""
        return cls(snaps.list_snapshots(con), loaded_vintages(con),
                   StatusTables.of_connection(con))

    # -- which snapshot, which vintage ------------------------------------------------
    def snapshot(self, ref: object = snaps.LATEST) -> Snapshot:
        return snaps.resolve(self.snapshots, ref)

    def vintage_of(self, snap: Snapshot | None) -> VintageChoice:
        """The vintage that judges ``snap``; the newest one when there is no snapshot."""
        if snap is None:
            return snaps.vintage_for(pd.Timestamp.today().date(), self.vintages)
        return snaps.vintage_for(snap.date, self.vintages)

    # -- the two ways to statuses --------------------------------------------------------
    def status_at(self, territory: Territory, rule: str | Rule, snapshot: object = snaps.LATEST,
                  *, vintage: int | None = None) -> StatusAt:
        """Statuses of ``territory`` under ``rule`` at ``snapshot`` (a Snapshot, an id, a
        date, ``latest``), judged with the vintage in force at its date. ``vintage``
        overrides that choice (an explicit user request, e.g. ``export status
        --vintage``). With no snapshot at all, the obligations alone."""
        the_rule = as_rule(rule)
        snap = self.snapshot(snapshot) if self.snapshots else None
        choice = self.vintage_of(snap)
        if vintage is not None and vintage != choice.vintage:
            choice = VintageChoice(int(vintage), False, f"Référentiel {vintage} choisi à la "
                                   f"place de celui en vigueur ({choice.vintage}).")
        whole = self.tables.status(the_rule, snap, choice.vintage) if snap is not None \
            else self.tables.obligations(the_rule, choice.vintage)
        return StatusAt(territory, the_rule.id, snap, choice, whole)

    def status_series(self, territory: Territory, rule: str | Rule) -> pd.DataFrame:
        """One row per snapshot, oldest first: ``snapshot_id``, ``date_snapshot``, ``kind``,
        ``label``, ``vintage``, ``vintage_note`` and the territory's figures
        (``figures.FIGURE_COLUMNS``)."""
        rows = []
        the_rule = as_rule(rule)
        for snap in sorted(self.snapshots, key=lambda s: (s.date, s.id)):
            at = self.status_at(territory, the_rule, snap)
            rows.append({**snap.columns(), "label": snap.label, "vintage": at.vintage.vintage,
                         "vintage_note": at.vintage.note, **at.figures.as_dict()})
        cols = ["snapshot_id", "date_snapshot", "kind", "label", "vintage", "vintage_note",
                *fig.FIGURE_COLUMNS]
        return pd.DataFrame(rows, columns=cols)

    def history(self, rule: str | Rule, sirens: Sequence[str]) -> pd.DataFrame:
        """``siren``, ``snapshot_id``, ``date_snapshot``, ``label``, ``obligation``,
        ``statut``, ``nb_jeux`` of the given collectivités at every snapshot, oldest
        first (through ``status_at``: the same vintage choice as every other figure)."""
        wanted = set(sirens)
        parts = []
        the_rule = as_rule(rule)
        for snap in sorted(self.snapshots, key=lambda s: (s.date, s.id)):
            whole = self.status_at(Territory(), the_rule, snap).whole
            part = whole[whole["siren"].isin(wanted)]
            parts.append(pd.DataFrame({
                "siren": part["siren"], "snapshot_id": snap.id,
                "date_snapshot": pd.Timestamp(snap.date), "label": snap.label,
                "obligation": part["obligation"], "statut": part["statut"],
                "nb_jeux": part["nb_jeux"]}))
        cols = ["siren", "snapshot_id", "date_snapshot", "label", "obligation", "statut",
                "nb_jeux"]
        if not parts:
            return pd.DataFrame(columns=cols)
        return pd.concat(parts, ignore_index=True)[cols]

    def evidence(self, con: duckdb.DuckDBPyConnection, siren: str,
                 snapshot: object = snaps.LATEST) -> pd.DataFrame:
        """The datasets found for one collectivité in a snapshot (see ``evidence``)."""
        return ev.datasets_of(con, siren, self.snapshot(snapshot))
