"""The outreach pages in a real headless Chromium on the outreach fixture database:
build a cohort, download the invitation list, record a follow-up note.

The server listens on 127.0.0.1 without auth secrets: loopback mode, writing allowed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.outreach import followup
from tests.conftest import require_browser
from tests.fixtures.dashboard import browser
from tests.fixtures.outreach.rows import build_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]
APP = PROJECT_ROOT / "app.py"
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    require_browser()
    home = tmp_path_factory.mktemp("outreach_home")
    env = {"ODLAB_HOME": str(home)}
    with db.connect(load_settings(env)) as con:
        build_db(con)
    port = browser.free_port()
    log = open(home / "server.log", "wb")  # noqa: SIM115 (kept open for the server's life)
    # same flags as the dashboard's browser test
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",  # noqa: S310
                                        timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"streamlit n'a pas démarré : {home / 'server.log'}")
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}", load_settings(env).db_path
    browser.stop_server(proc)
    log.close()


@pytest.fixture(scope="module")
def page(served, chromium):
    pg = browser.new_page(chromium)
    yield pg
    pg.context.close()


def test_cohort_download_and_note(page, served, tmp_path):
    url, dbpath = served
    SHOTS.mkdir(parents=True, exist_ok=True)

    browser.open_page(page, url + "/atelier?t=dep:31", maps=1, title="Atelier")
    assert browser.errors_on(page) == []
    assert page.get_by_text("Cohorte : 2 collectivité(s)").count() == 1
    assert page.locator("canvas.maplibregl-canvas").count() >= 1
    page.screenshot(path=str(SHOTS / "outreach-atelier.png"), full_page=True)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name="Télécharger (CSV)").first.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    text = target.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and target.name == "invitations.csv"
    lines = text[3:].decode("utf-8").splitlines()
    assert lines[0].startswith("SIREN;Code;Nom")
    assert {line.split(";")[2] for line in lines[1:]} == {"Colomiers", "Saint-Cyprien"}

    browser.open_page(page, url + "/suivi?t=dep:31", title="Suivi")
    assert browser.errors_on(page) == []
    page.get_by_label("Note").fill("Appel au DGS : publication prévue en janvier")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("Enregistré (1 changement(s))").wait_for(timeout=30_000)
    browser.wait_drawn(page)
    page.screenshot(path=str(SHOTS / "outreach-suivi.png"), full_page=True)
    with db.connect(path=dbpath, read_only=True) as con:
        notes = followup.log(con)
    assert list(notes["valeur"]) == ["Appel au DGS : publication prévue en janvier"]
    assert notes["editeur"].iloc[0].startswith("local:")
