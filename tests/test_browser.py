"""The dashboard in a real headless Chromium, on a database built from the mirror
(reference 2026 and Observatoire editions read through the real loaders, reduced to the
Occitanie région to stay fast, plus the small live harvest of the dashboard fixture).

Checks every page draws (maps included) without a Streamlit error box, a hostile dataset
title runs no script, and a CSV download works. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT, load_settings
from tests.conftest import require_browser
from tests.fixtures.dashboard import browser, build_db

pytestmark = [pytest.mark.browser, pytest.mark.mirror, pytest.mark.slow]
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
KEEP_REGION = "76"
PAGES = [("vue-ensemble", "/?t=dep:31"), ("vue-ensemble-france", "/?t=fr&regle=odf"),
         ("carte-france", "/carte?t=fr&regle=odf"), ("carte-departement", "/carte?t=dep:31"),
         ("fiche", "/fiche?t=dep:31&siren=213105554"), ("methode", "/methode"),
         ("premier-lancement", "/installation")]


def _subset(con, region: str) -> None:
    """Keep one région: the pages stay fast, the data stay those of the official files."""
    for sql in (
        "DELETE FROM ref_collectivite WHERE coalesce(region, '') <> ?",
        "DELETE FROM ref_territoire WHERE coalesce(region, code) <> ?",
        "DELETE FROM ref_geometry WHERE niveau = 'COM' AND code NOT IN "
        "(SELECT code_insee FROM ref_collectivite WHERE type = 'COM' AND region = ?)",
        "DELETE FROM ref_geometry WHERE niveau = 'EPCI' AND code NOT IN "
        "(SELECT siren FROM ref_collectivite WHERE region = ? AND siren IS NOT NULL)",
    ):
        con.execute(sql, [region])


@pytest.fixture(scope="session")
def mirror_db(mirror_dir, tmp_path_factory) -> dict[str, str]:
    require_browser()
    from odlab_compliance.ingest.harvest.run import import_observatoire
    from odlab_compliance.ingest.reference import load_vintage

    home = tmp_path_factory.mktemp("browser_home")
    env = {"ODLAB_HOME": str(home), "ODLAB_MIRROR_DIR": str(mirror_dir)}
    settings = dataclasses.replace(load_settings(env), mirror_dir=mirror_dir)
    with db.connect(settings) as con:
        load_vintage(con, 2026, settings)
        _subset(con, KEEP_REGION)
    assert all(o.ok for o in import_observatoire(settings))
    with db.connect(settings) as con:
        build_db.live_harvest(con, today=dt.date.today())
    return env


@pytest.fixture(scope="session")
def app_url(mirror_db, tmp_path_factory):
    port = browser.free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    proc = browser.start_server(mirror_db, port, log)
    yield f"http://127.0.0.1:{port}"
    browser.stop_server(proc)


@pytest.fixture(scope="session")
def page(app_url, chromium):
    pg = browser.new_page(chromium)
    yield pg
    pg.context.close()


def test_shared_link_on_a_fresh_server(page, app_url):
    # First visit of the server, straight to a page other than the default one: the
    # URL's territory must survive (Streamlit may first run the page file alone).
    browser.open_page(page, app_url + "/carte?t=dep:31")
    assert "Haute-Garonne" in page.locator("h1").first.inner_text()
    assert "t=dep%3A31" in page.url or "t=dep:31" in page.url


@pytest.mark.parametrize("name,path", PAGES)
def test_page_draws_without_error(page, app_url, name, path):
    browser.open_page(page, app_url + path)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert browser.errors_on(page) == []
    assert page.locator("h1").count() >= 1
    if name.startswith("carte"):
        assert page.locator("canvas.maplibregl-canvas").count() >= 1


def test_hostile_title_runs_no_script(page, app_url):
    browser.open_page(page, app_url + "/fiche?t=dep:31&siren=213105554")
    assert page.dialogs == []
    scripts = page.evaluate("() => [...document.scripts].map(s => s.textContent).join(' ')")
    assert "xss" not in scripts
    assert browser.errors_on(page) == []


def test_csv_download(page, app_url, tmp_path):
    browser.open_page(page, app_url + "/?t=dep:31")
    button = page.get_by_role("button", name="Télécharger (CSV)").first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    data = target.read_bytes()
    assert target.suffix == ".csv"
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Excel"
    header = data[3:].split(b"\r\n", 1)[0].decode("utf-8")
    assert ";" in header and "Obligées" in header


def test_clicking_a_commune_opens_its_sheet(page, app_url):
    browser.open_page(page, app_url + "/carte?t=dep:31")
    # Pixel of Toulouse's town hall on the map, from MapLibre itself.
    x, y = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const map = gd._fullLayout.map._subplot.map;
        const p = map.project([1.4437, 43.6045]);
        const r = map.getCanvas().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""")
    page.mouse.click(x, y)
    page.wait_for_url("**/fiche**", timeout=30_000)
    browser.wait_drawn(page)
    assert page.locator("h1").first.inner_text() == "Toulouse"
    assert browser.errors_on(page) == []
