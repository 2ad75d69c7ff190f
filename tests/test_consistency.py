"""One truth across pages, on the national data built from the mirror.

For France, a région and a département, each rule and both Observatoire editions, the
figures a person reads on the overview, the forecast table, the changes page, the sheet's
history and ``export status`` (without ``--vintage``) are the same, and a 2022 snapshot is
judged with the 2022 reference vintage (the 2021 edition, older than every loaded
vintage, with the oldest one, and the page says so).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance import vocab
from odlab_compliance.cli import main
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.fmt import date_fr, nombre, pourcentage
from odlab_compliance.territory import Territory, filter_frame

pytestmark = [pytest.mark.mirror, pytest.mark.slow]

APP = str(PROJECT_ROOT / "app.py")
TERRITORIES = ["fr", "reg:76", "dep:31"]
RULES = ["legal", "odf", "legal_hypothese_odf"]
EDITIONS = {1: dt.date(2021, 12, 31), 2: dt.date(2022, 12, 31)}   # snapshot id -> date
# The collectivité whose sheet is read for each territory (its own, or Toulouse).
SHEET = {"fr": "213105554", "reg:76": "200053791", "dep:31": "223100017"}


@pytest.fixture(scope="module")
def exports(national_home, tmp_path_factory) -> dict[tuple[str, int], pd.DataFrame]:
    """``export status`` of each rule and snapshot, through the real command line."""
    out_dir = tmp_path_factory.mktemp("exports")
    mp = pytest.MonkeyPatch()
    mp.setenv("ODLAB_HOME", str(national_home))
    frames = {}
    try:
        for rule in RULES:
            for snap, day in EDITIONS.items():
                path = out_dir / f"{rule}-{snap}.csv"
                assert main(["export", "status", "--rule", rule, "--snapshot",
                             day.isoformat(), "--output", str(path)]) == 0
                frames[(rule, snap)] = pd.read_csv(path, sep=";", dtype=str,
                                                   encoding="utf-8-sig")
    finally:
        mp.undo()
    return frames


def expected(exports, rule: str, snap: int, t: str) -> dict[str, object]:
    df = filter_frame(exports[(rule, snap)], Territory.parse(t))
    obliged = df[df["obligation"] == vocab.OBLIGEE]
    publishing = int(obliged["statut"].isin(vocab.PUBLISHING).sum())
    known = int((obliged["statut"] != vocab.INCONNU).sum())
    return {"obligees": len(obliged), "publiant": publishing,
            "taux": publishing / known if known else None}


def run(query: dict[str, str], page: str | None = None, **widgets: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    for key, value in widgets.items():
        at.date_input(key=key).set_value(value)
    if widgets:
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_exports_judge_each_snapshot_with_the_vintage_in_force(exports):
    for rule in RULES:
        assert set(exports[(rule, 2)]["vintage"]) == {"2022"}    # 31/12/2022 -> 2022
        assert set(exports[(rule, 1)]["vintage"]) == {"2022"}    # older than all: the oldest
    # The comparison point: 4 605 obliged under the Observatoire rule with the 2022
    # vintage, plus the 11 EPT of the Grand Paris, loaded for 2022 too since the 3.1.1 file
    # (4 632 with 2026's, which the overview used to mix in).
    assert expected(exports, "odf", 2, "fr")["obligees"] == 4605 + 11


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("t", TERRITORIES)
def test_pages_and_export_agree(national, exports, t, rule):
    for snap, day in EDITIONS.items():
        want = expected(exports, rule, snap, t)
        q = {"t": t, "regle": rule, "au": str(snap)}

        overview = run(q)
        m = {x.label: x.value for x in overview.metric}
        assert m["Collectivités obligées"] == nombre(want["obligees"]), (t, rule, snap)
        assert m["Publient"] == nombre(want["publiant"]), (t, rule, snap)
        assert m["Taux de publication"] == pourcentage(want["taux"], 1, vide="—"), (t, rule, snap)
        captions = " ".join(c.value for c in overview.caption)
        assert "Référentiel 2022" in captions
        notes = " ".join(i.value for i in overview.info)
        assert ("le plus ancien chargé" in notes) == (snap == 1)

        sheet = run({**q, "siren": SHEET[t]}, "pages/fiche.py")
        history = next(d.value for d in sheet.dataframe
                       if list(d.value.columns) == ["Date", "Statut"])
        row = exports[(rule, snap)].set_index("siren").loc[SHEET[t]]
        line = history[history["Date"].str.startswith(date_fr(day))]
        assert list(line["Statut"]) == [vocab.STATUT.label(row["statut"])], (t, rule, snap)

    forecast = run({"t": t, "regle": rule, "au": "2"}, "pages/prevision.py")
    table = next(d.value for d in forecast.dataframe if "taux" in d.value.columns)
    for snap, day in EDITIONS.items():
        want = expected(exports, rule, snap, t)
        line = table[table["date"] == date_fr(day)].iloc[0]
        assert (int(line["obligees"]), int(line["publiant"])) == (want["obligees"],
                                                                 want["publiant"])
        if want["taux"] is None:
            assert pd.isna(line["taux"])
        else:
            assert float(line["taux"]) == pytest.approx(round(want["taux"] * 100, 1))

    changes = run({"t": t, "regle": rule, "au": "2"}, "pages/changements.py",
                  chg_from=EDITIONS[1], chg_to=EDITIONS[2])
    m = {x.label: x.value for x in changes.metric}
    for snap, day in EDITIONS.items():
        want = expected(exports, rule, snap, t)
        assert m[f"Taux au {date_fr(day)}"] == pourcentage(want["taux"], 1, vide="—")
