"""Forecast: least-squares line on dated rates, target date, what-if."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from odlab_compliance.analysis import forecast
from odlab_compliance.model.snapshots import Snapshot
from odlab_compliance.model.status import StatusModel
from odlab_compliance.territory import Territory
from tests.fixtures.outreach.rows import status_frame
from tests.fixtures.status_tables import GivenTables


def pts(rates):
    return pd.DataFrame({"date": pd.to_datetime(list(rates)), "taux": list(rates.values())})


def test_fit_exact_line_and_reach_date():
    p = pts({"2024-01-01": 0.20, "2025-01-01": 0.30, "2026-01-01": 0.40})
    f = forecast.fit(p)
    assert f.n == 3 and f.r2 == pytest.approx(1.0)
    assert f.slope_per_year == pytest.approx(0.1, rel=1e-2)
    day = forecast.reach_date(f, 0.60, today=date(2026, 1, 2))
    assert date(2027, 12, 20) <= day <= date(2028, 1, 10)
    assert "serait atteint vers le" in forecast.sentence(f, 0.60, today=date(2026, 1, 2))
    assert forecast.reach_date(f, 0.30, today=date(2026, 1, 2)) == date(2026, 1, 2)


def test_flat_or_too_few_points():
    assert forecast.fit(pts({"2026-01-01": 0.4})) is None
    assert "au moins deux" in forecast.sentence(None, 0.5)
    flat = forecast.fit(pts({"2025-01-01": 0.4, "2026-01-01": 0.39}))
    assert forecast.reach_date(flat, 0.9, today=date(2026, 2, 1)) is None
    assert "ne serait pas atteint" in forecast.sentence(flat, 0.9, today=date(2026, 2, 1))


def test_series_and_what_if():
    old = status_frame({"213105554": {"statut": "non_publie"},
                        "213100696": {"statut": "non_publie"}})
    new = status_frame({"213100696": {"statut": "non_publie"},
                        "213100449": {"statut": "inconnu"}})
    frames = {1: old, 2: new}
    model = StatusModel([Snapshot(2, date(2026, 9, 1)), Snapshot(1, date(2025, 9, 1))], [2026],
                        GivenTables(lambda rule, snap, vintage: frames[snap.id],
                                    lambda rule, vintage: old))
    s = forecast.series(model.status_series(Territory("DEP", "31"), "odf"))
    assert list(s["date"].dt.year) == [2025, 2026]
    assert s["taux"].iloc[0] == pytest.approx(6 / 8)
    assert s["taux"].iloc[1] == pytest.approx(6 / 7)  # inconnu left out of the denominator
    out = forecast.what_if(new, ["213100696"])
    assert out.taux == pytest.approx(8 / 8)
    fig = forecast.figure(s, forecast.fit(s), 0.95, today=date(2026, 10, 1), extra=out.taux)
    assert len(fig.data) == 3
