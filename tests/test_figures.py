"""The figures of a territory (model.figures: the one place a rate is computed) and the
status model's choices of snapshot and vintage (model.status, with loaders injected)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from odlab_compliance import territory as T
from odlab_compliance.analysis.sheet import similar
from odlab_compliance.model import figures as F
from odlab_compliance.model.snapshots import Snapshot, vintage_for
from odlab_compliance.model.status import StatusModel
from tests.fixtures.status_tables import GivenTables


def test_figures_counts_and_rates(frame):
    s = F.figures(frame)
    assert s.obligees == 14
    assert s.publiant == 2 and s.n_via_tiers == 1
    assert s.n_inconnu == 1
    # inconnu is left out of the denominator: 2 publish among 13 known.
    assert s.taux == pytest.approx(2 / 13)
    # Population covered: communes only (Toulouse + Blagnac among obliged communes).
    communes = frame[(frame["type"] == "COM") & (frame["obligation"] == "obligee")]
    expected = (511684 + 26142) / communes["population_totale"].sum()
    assert s.couverture == pytest.approx(expected)


def test_figures_without_status_column(frame):
    s = F.figures(frame.drop(columns="statut"))
    assert s.obligees == 14 and s.taux is None and s.n_inconnu == 14


def test_figures_of_nothing(frame):
    s = F.figures(frame.iloc[0:0])
    assert s.obligees == 0 and s.taux is None and s.couverture is None


def test_figures_by_group_equal_figures_of_each_group(frame):
    """The vectorised table and the one-territory figures are one formula."""
    table = F.figures_by(frame, "departement")
    for dep, part in frame.groupby("departement"):
        one = F.figures(part).as_dict()
        row = table.loc[dep]
        for k, v in one.items():
            assert (row[k] == pytest.approx(v)) if v is not None else pd.isna(row[k]), (dep, k)


def test_by_type_families(frame):
    bt = F.by_type(frame).set_index("famille")
    assert list(bt.index) == ["COM", "EPCI", "DEP", "REG"]
    assert bt.loc["EPCI", "obligees"] == 3   # MET + CC + CA
    assert bt.loc["COM", "obligees"] == 8


def test_ranking_of_sub_territories(frame):
    rank = F.ranking(frame, T.Territory("REG", "76"), {"31": "Haute-Garonne", "09": "Ariège"})
    assert list(rank["nom"]) == ["Haute-Garonne", "Ariège"]
    assert rank.iloc[1]["taux"] == 0.0
    epcis = F.ranking(frame, T.Territory("DEP", "31"))
    assert set(epcis["code"]) == {"243100518", "200000001"}
    communes = F.ranking(frame, T.Territory("EPCI", "243100518"))
    assert communes.iloc[0]["nom"] in {"Toulouse", "Blagnac"}
    assert F.ranking(frame, T.Territory("COM", "31555")).empty


@pytest.mark.parametrize("area", [T.Territory("FR", ""), T.Territory("REG", "76"),
                                  T.Territory("DEP", "31")])
def test_each_ranking_row_counts_what_the_area_own_view_counts(frame, area):
    """Issue 16: the overview ranked a CC at 100 % (its member communes) while its own
    report listed the CC among the obliged that do not publish. A row of the ranking is
    the figures of that area's own overview and PDF (``filter_frame``: the EPCI itself
    included)."""
    rank = F.ranking(frame, area)
    assert not rank.empty
    child = T.CHILD_LEVEL[area.level]
    for row in rank.itertuples():
        own = F.figures(T.filter_frame(frame, T.Territory(child, row.code)))
        assert (row.obligees, row.publiant, row.n_inconnu) == (
            own.obligees, own.publiant, own.n_inconnu), (child, row.code)
        assert row.taux == pytest.approx(own.taux) if own.taux is not None else pd.isna(row.taux)


def test_similar_collectivites(frame):
    peers = similar(frame, "213100696")   # Blagnac, 26 142 inhabitants
    assert "213100696" not in set(peers["siren"])
    assert set(peers["type"]) == {"COM"}
    assert all(T.size_band(p) == "20 000 à 49 999 hab." for p in peers["population_totale"])
    assert similar(frame, "000000000").empty


# -- which vintage judges a snapshot --------------------------------------------------------

def test_vintage_in_force_at_a_date():
    assert vintage_for(date(2022, 12, 31), [2026, 2022]).vintage == 2022
    assert vintage_for(date(2025, 6, 1), [2026, 2022]).vintage == 2022
    assert vintage_for(date(2026, 1, 1), [2026, 2022]).vintage == 2026
    choice = vintage_for(date(2021, 12, 31), [2026, 2022])
    # Before the oldest loaded vintage: the oldest one, and a note that says so.
    assert choice.vintage == 2022 and not choice.in_force and "2022" in choice.note


def _model(frame):
    """A model over two snapshots whose loader records what it is asked."""
    calls = []
    older = frame.assign(statut="non_publie")

    def table(rule, snap, vintage):
        calls.append((rule, snap.id, vintage))
        return older if snap.id == 1 else frame

    snaps = [Snapshot(2, date(2026, 11, 1)), Snapshot(1, date(2022, 12, 31), "observatoire")]
    return StatusModel(snaps, [2026, 2022], GivenTables(table, lambda rule, v: frame)), calls


def test_status_series_one_row_per_snapshot_each_with_its_vintage(frame):
    model, calls = _model(frame)
    tr = model.status_series(T.Territory("DEP", "31"), "odf")
    assert list(tr["snapshot_id"]) == [1, 2]                  # oldest first
    assert list(tr["vintage"]) == [2022, 2026]
    assert tr.iloc[0]["publiant"] == 0 and tr.iloc[1]["publiant"] == 2
    assert sorted(calls) == [("odf", 1, 2022), ("odf", 2, 2026)]


def test_status_at_agrees_with_the_series(frame):
    model, _ = _model(frame)
    t = T.Territory("DEP", "31")
    series = model.status_series(t, "odf").set_index("snapshot_id")
    for snap in model.snapshots:
        at = model.status_at(t, "odf", snap.id)
        assert at.figures.taux == pytest.approx(series.loc[snap.id, "taux"])
        assert at.vintage.vintage == series.loc[snap.id, "vintage"]
    # by date, by id, latest: the same snapshot
    assert model.status_at(t, "odf", "2022-12-31").snapshot.id == 1
    assert model.status_at(t, "odf").snapshot.id == 2


def test_by_type_export_writes_counts_as_whole_numbers(frame):
    """Issue 16: « Par type » was exported as « 67,0;13,0;11,0 »: a row of mixed figures
    came back as floats."""
    from odlab_compliance.present import exports
    from odlab_compliance.ui import tables

    text = exports.to_bytes(tables.by_type_table(F.by_type(frame), display=False),
                            "csv").decode("utf-8-sig")
    header, *rows = text.splitlines()
    assert header.split(";")[:3] == ["Type", "Obligées", "Publient"]
    assert rows
    for row in rows:
        cells = row.split(";")
        counts = cells[1:6] + cells[7:]
        assert all(c == "" or c.isdigit() for c in counts), row
