"""The first screen on a fresh database without agent counts: never « 0 obligées »; the
law with missing counts presumed, how many are presumed, and the law alone once 95 % of
the counts that matter are known."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.ingest.agents import store
from odlab_compliance.ingest.reference.load import load_vintage
from odlab_compliance.model import coverage
from odlab_compliance.model.obligation import obligations
from tests.conftest import FIXTURES

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def fresh(tmp_path, env, monkeypatch):
    """A database with the fixture reference only: no agent count, no harvest."""
    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURES / "reference" / "mirror", mirror)
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror))
    settings = load_settings()
    with db.connect(settings) as con:
        load_vintage(con, 2026, settings)
    return settings


def first_screen() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def obliged(at: AppTest) -> str:
    return {m.label: m.value for m in at.metric}["Collectivités obligées"]


def test_first_screen_without_agent_counts_presumes_and_says_how_many(fresh):
    at = first_screen()
    assert at.selectbox(key="shell_rule").value == coverage.RULE_LAW_PRESUMED
    with db.connect(fresh, read_only=True) as con:
        df = obligations(con, 2026, coverage.RULE_LAW_PRESUMED)
    n = int(df["obligation"].eq("obligee").sum())
    assert n > 0 and obliged(at) == str(n)
    presumed = int((df["obligation"].eq("obligee") & df["hypothese"]).sum())
    assert presumed == n                               # no count at all: every one presumed
    texts = " ".join(i.value for i in at.info)
    assert f"Dont {presumed} présumée(s)" in texts
    assert "Effectifs connus pour 0" in texts
    assert "Taux calculé alors que" in texts           # a rate on partial counts says so


def test_law_alone_by_default_once_95_percent_of_counts_are_known(fresh):
    with db.connect(fresh) as con:
        df = obligations(con, 2026, coverage.RULE_LAW)
        cand = df.loc[df["candidat"] & df["siren"].notna(), "siren"].drop_duplicates()
        rows = pd.DataFrame({"siren": cand, "tranche": None, "agents_min": 80,
                             "agents_max": 80, "annee": 2025,
                             "source_detail": "préfecture (test)"})
        store.upsert(con, rows, "prefecture")
    at = first_screen()
    assert at.selectbox(key="shell_rule").value == coverage.RULE_LAW
    assert int(obliged(at)) > 0
    assert not any("présumée(s)" in i.value for i in at.info)


def test_methode_page_numbers_come_from_the_data(fresh):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/methode.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = "\n".join(m.value for m in at.markdown)
    # the fixture: Arboys en Bugey, municipale 3,470 and totale 3,512 of one millésime
    # (2022); its municipale 2023 (3,480) is another millésime, also under 3,500
    assert "**1 commune(s)** ont une population municipale sous 3 500" in text
    assert "cinquantaine" not in text
    assert "millésime **2023**" in text and "7 octobre 2018" in text
    files = [t for t in at.dataframe if "Millésime établi" in t.value.columns][0].value
    assert set(files["Millésime établi"]) == {"2022", "2023"}
    assert files["Preuve"].str.contains("Paris").any()
    coverage = [t for t in at.dataframe if "Part connue" in t.value.columns]
    assert coverage, "la couverture des effectifs par région est affichée"
