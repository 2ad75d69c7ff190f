"""Shared fixtures: settings pointing at a temporary home, a real local HTTP server,
and the offline mirror when ODLAB_MIRROR_DIR is set (CI sets it to ../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance.config import Settings, load_settings
from tests.fixtures.dashboard import build_db
from tests.httpserver import LocalServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    d = tmp_path / "home"
    d.mkdir()
    return d


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: temporary ODLAB_HOME, no mirror, fast retries."""
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            monkeypatch.delenv(k)
    values = {"ODLAB_HOME": str(home), "ODLAB_HTTP_BACKOFF": "0.01", "ODLAB_HTTP_TIMEOUT": "5",
              "ODLAB_HTTP_RETRIES": "3"}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings()


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    value = os.environ.get("ODLAB_MIRROR_DIR", "")
    if not value or not Path(value).is_dir():
        pytest.skip("ODLAB_MIRROR_DIR n'est pas défini : test sur le miroir ignoré")
    return Path(value).resolve()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session: Playwright's sync API allows a single
    running instance per thread, so every browser test shares this one."""
    from tests.fixtures.dashboard import browser

    if not Path(browser.CHROMIUM).exists():
        pytest.skip("Chromium absent (/usr/bin/chromium) : make install-browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        instance = browser.launch(p)
        yield instance
        instance.close()


# -- a small reference and status table (Occitanie), for the pure territory and figures tests

@pytest.fixture(scope="session")
def ref() -> pd.DataFrame:
    return build_db.reference_rows()


@pytest.fixture(scope="session")
def terr() -> pd.DataFrame:
    return pd.read_csv(build_db.HERE / "territories.csv", sep=";", dtype=str)


@pytest.fixture
def frame(ref) -> pd.DataFrame:
    """A status table: communes under 3 500 inhabitants not obliged, two publishers."""
    df = ref.copy()
    df["obligation"] = ["non_obligee" if (t == "COM" and p < 3500) else "obligee"
                        for t, p in zip(df["type"], df["population_totale"], strict=True)]
    statut = {"213105554": "publie", "213100696": "publie_via_tiers", "213100440": "inconnu"}
    df["statut"] = df["siren"].map(statut).fillna("non_publie")
    return df


# -- the national database built from the mirror (slow: built once per session) -------------

@pytest.fixture(scope="session")
def national_home(mirror_dir, tmp_path_factory) -> Path:
    """``reference update`` 2026 and 2022 and the two Observatoire editions, from the
    mirror, through the real command line (as a user builds it)."""
    from odlab_compliance.cli import main

    home = tmp_path_factory.mktemp("national")
    mp = pytest.MonkeyPatch()
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            mp.delenv(k)
    mp.setenv("ODLAB_HOME", str(home))
    mp.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    try:
        assert main(["reference", "update", "--vintage", "2026"]) == 0
        assert main(["reference", "update", "--vintage", "2022"]) == 0
        assert main(["harvest", "--source", "observatoire", "--quiet"]) == 0
    finally:
        mp.undo()
    return home


@pytest.fixture
def national(national_home, monkeypatch) -> Path:
    """The environment of a test that reads the national database."""
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("ODLAB_HOME", str(national_home))
    return national_home
