"""French formatting: narrow no-break space for thousands, decimal comma, dd/mm/yyyy."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from odlab_compliance.fmt import NNBSP, date_fr, date_heure_fr, nombre, pourcentage


@pytest.mark.parametrize(("value", "dec", "want"), [
    (0, 0, "0"), (999, 0, "999"), (1000, 0, "1 000"), (3499, 0, "3 499"),
    (12345, 0, "12 345"), (1234567, 0, "1 234 567"), (-3500, 0, "-3 500"),
    (1234.5, 1, "1 234,5"), (0.125, 2, "0,13"), (2.5, 0, "3"), (1999.96, 1, "2 000,0"),
])
def test_nombre(value, dec, want):
    assert nombre(value, dec) == want.replace(" ", NNBSP)


def test_nombre_no_break_space_is_narrow():
    assert nombre(12345) == "12\u202f345"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, math.inf])
def test_missing_values_give_placeholder(missing):
    assert nombre(missing) == ""
    assert nombre(missing, vide="–") == "–"


def test_nombre_accepts_numpy_and_nullable_ints():
    s = pd.Series([12345, None], dtype="Int64")
    assert nombre(s.iloc[0]) == f"12{NNBSP}345" and nombre(s.iloc[1]) == ""


def test_pourcentage():
    assert pourcentage(0.163) == f"16{NNBSP}%"
    assert pourcentage(0.1634, 1) == f"16,3{NNBSP}%"
    assert pourcentage(None) == ""


def test_dates():
    assert date_fr(dt.date(2026, 1, 5)) == "05/01/2026"
    assert date_fr(dt.datetime(2026, 11, 27, 13, 40)) == "27/11/2026"
    assert date_fr("2026-03-09") == "09/03/2026"
    assert date_fr(pd.Timestamp("2026-03-09T10:00")) == "09/03/2026"
    assert date_fr(pd.NaT) == "" and date_fr(None, vide="inconnue") == "inconnue"
    assert date_heure_fr("2026-03-09T07:05:00") == "09/03/2026 à 07:05"
    with pytest.raises(TypeError):
        date_fr(12)


def test_no_negative_zero():
    from odlab_compliance.fmt import nombre

    assert nombre(-0.04, 1) == "0,0" and nombre(-0.4) == "0"
    assert nombre(-1.25, 1) == "-1,3"


def test_forecast_pace_in_words():
    from odlab_compliance.analysis.forecast import points_par_an

    assert points_par_an(0.023) == "+2,3 points par an"
    assert points_par_an(-0.0001) == "0 point par an"
    assert points_par_an(-0.01) == "-1 point par an"
