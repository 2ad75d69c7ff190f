"""Shared fixtures: settings pointing at a temporary home, a real local HTTP server,
and the offline mirror when ODLAB_MIRROR_DIR is set (CI sets it to ../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from odlab_compliance.config import Settings, load_settings
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
