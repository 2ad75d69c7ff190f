"""The dashboard in a real headless Chromium, on a database built from the mirror
(reference 2026 and Observatoire editions read through the real loaders, reduced to the
Occitanie région to stay fast, plus the small live harvest of the dashboard fixture).

Checks every page draws (maps included) without a Streamlit error box, a hostile dataset
title runs no script, and a CSV download works. Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT, load_settings
from tests.conftest import require_browser, require_tool
from tests.fixtures.dashboard import browser, build_db

pytestmark = [pytest.mark.browser, pytest.mark.mirror, pytest.mark.slow]
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
KEEP_REGION = "76"
# (screenshot name, path, what the page must show before it counts as drawn)
PAGES = [("vue-ensemble", "/?t=dep:31", {"plots": 3, "title": "Haute-Garonne"}),
         ("vue-ensemble-france", "/?t=fr&regle=odf", {"plots": 3, "title": "France"}),
         ("carte-france", "/carte?t=fr&regle=odf", {"maps": 1, "title": "Carte"}),
         ("carte-departement", "/carte?t=dep:31", {"maps": 1, "title": "Haute-Garonne"}),
         ("fiche", "/fiche?t=dep:31&siren=213105554", {"title": "Toulouse"}),
         ("methode", "/methode", {"title": "Méthode et sources"}),
         ("premier-lancement", "/installation", {"title": "Premier lancement"})]
# Records every string a canvas draws: Streamlit's tables are canvas grids, so this is
# how a test sees the text a user sees in them.
RECORD_CANVAS_TEXT = """(() => { window.__drawn = [];
  const fill = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    window.__drawn.push(String(text)); return fill.call(this, text, ...rest); }; })()"""


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
    browser.open_page(page, app_url + "/carte?t=dep:31", maps=1)
    assert "Haute-Garonne" in page.locator("h1").first.inner_text()
    assert "t=dep%3A31" in page.url or "t=dep:31" in page.url


@pytest.mark.parametrize("name,path,expect", PAGES)
def test_page_draws_without_error(page, app_url, name, path, expect):
    browser.open_page(page, app_url + path, **expect)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert browser.errors_on(page) == []
    assert page.locator("h1").count() >= 1
    if name.startswith("carte"):
        assert page.locator("canvas.maplibregl-canvas").count() >= 1


def test_hostile_title_is_shown_as_text_and_runs_no_script(app_url, chromium):
    page = browser.new_page(chromium)
    page.add_init_script(RECORD_CANVAS_TEXT)
    try:
        browser.open_page(page, app_url + "/fiche?t=dep:31&siren=213105554", title="Toulouse")
        # Shown: the evidence grid draws the title, tags included, as plain text.
        page.wait_for_function("t => window.__drawn.includes(t)", arg=build_db.XSS_TITLE,
                               timeout=30_000)
        drawn = page.evaluate("() => window.__drawn")
        assert "javascript:alert(1)" not in drawn      # its link is not offered
        # Not run: no dialog, no script element or link made of it.
        assert page.dialogs == []
        scripts = page.evaluate("() => [...document.scripts].map(s => s.textContent).join(' ')")
        assert "xss" not in scripts
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert browser.errors_on(page) == []
    finally:
        page.context.close()


def test_csv_download(page, app_url, tmp_path):
    browser.open_page(page, app_url + "/?t=dep:31", plots=3)
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
    # Drawn = the map's figure laid out and its MapLibre canvas loaded: only then can the
    # town hall's pixel be asked of MapLibre (before, there was no figure: issue 12).
    browser.open_page(page, app_url + "/carte?t=dep:31", maps=1, title="Haute-Garonne")
    x, y = browser.map_pixel(page, 1.4437, 43.6045)   # Toulouse's town hall
    page.mouse.click(x, y)
    page.wait_for_url("**/fiche**", timeout=30_000)
    browser.wait_drawn(page, title="Toulouse")
    assert page.locator("h1").first.inner_text() == "Toulouse"
    assert browser.errors_on(page) == []


def test_clicking_a_region_on_the_france_map_opens_it_in_one_run(page, app_url):
    """A click on a région selects it before the next run (the map's callback): the page
    shows the région's map and its URL, without a run that only read the click."""
    browser.open_page(page, app_url + "/carte?t=fr", maps=1, title="France")
    x, y = browser.map_pixel(page, 1.4437, 43.6045)   # Toulouse's town hall
    for _ in range(3):   # a click before the map listens does nothing: click again
        page.mouse.click(x, y)
        try:
            page.wait_for_url(lambda u: "reg%3A76" in u or "reg:76" in u, timeout=15_000)
            break
        except Exception:  # noqa: BLE001 (Playwright's timeout)
            continue
    browser.wait_drawn(page, maps=1, title="Occitanie")
    assert page.locator("h1").first.inner_text() == "Carte · Occitanie"
    assert browser.errors_on(page) == []


def _shown(page, label: str) -> str:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text=label)
    return box.get_by_role("combobox").input_value()


def test_choices_stay_chosen_through_the_menu_back_and_forward(page, app_url):
    """A territory, a rule and an older snapshot chosen in the sidebar survive a click on
    every page of the menu; the URL says them; back and forward step through pages."""
    browser.open_page(page, app_url + "/")
    browser.choose(page, "Région", "Occitanie")
    browser.choose(page, "Département", "Haute-Garonne")
    browser.choose(page, "Règle d'obligation", "Observatoire")
    browser.choose(page, "Situation au", "31/12/2021")
    wanted = {"t": "dep:31", "regle": "odf", "au": "1"}
    visited = []
    for link in page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a').all():
        name = link.inner_text().strip()
        if name == "Premier lancement":
            continue
        link.click()
        page.wait_for_timeout(300)
        browser.wait_drawn(page)
        query = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
        assert {k: query.get(k) for k in wanted} == wanted, (name, page.url)
        assert "Haute-Garonne" in _shown(page, "Département"), name
        assert "Observatoire" in _shown(page, "Règle d'obligation"), name
        assert "31/12/2021" in _shown(page, "Situation au"), name
        assert browser.errors_on(page) == [], name
        visited.append(urlparse(page.url).path)
    assert len(set(visited)) >= 8, visited
    for expected in reversed(visited[:-1][-3:]):
        page.go_back()
        page.wait_for_timeout(300)
        browser.wait_drawn(page)
        assert urlparse(page.url).path == expected
        assert "31/12/2021" in _shown(page, "Situation au")
    page.go_forward()
    page.wait_for_timeout(300)
    browser.wait_drawn(page)
    assert urlparse(page.url).path == visited[-3]
    assert "odf" in page.url and "au=1" in page.url


def test_every_page_opens_by_its_url_path(page, app_url):
    """A bookmarked or typed address (/vue-ensemble, /carte…) opens its page: no « Page
    not found » dialog, the page's own title."""
    from odlab_compliance.ui import navigation

    for spec in navigation.PAGES:
        browser.open_page(page, f"{app_url}/{spec.url_path}?t=dep:31")
        body = page.locator("body").inner_text()
        assert "Page not found" not in body and "introuvable" not in body, spec.url_path
        assert browser.errors_on(page) == [], spec.url_path
        heading = page.locator("h1").first.inner_text()
        assert heading.split(" · ")[0] in (spec.title, "Haute-Garonne", "Suivi des collectivités",
                                           "Méthode et sources", "Premier lancement",
                                           "Fiche collectivité"), (spec.url_path, heading)


def test_sheet_pdf_download(page, app_url, tmp_path):
    require_tool("pdftotext")
    browser.open_page(page, app_url + "/fiche?t=dep:31&siren=213105554", title="Toulouse")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Télécharger la fiche (PDF, une page)").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name == "fiche-213105554.pdf"
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert text.count("\f") == 1, "une seule page"
    assert text.lstrip().startswith("Toulouse")
    assert "SIREN 213105554" in text
    assert "habitants (population totale 2022)" in text     # the figure names its millésime
    # No agent count in this database: the default rule presumes the missing counts
    # (issue 9: no first screen reads « 0 obligées ») and the sheet says it is a
    # presumption, not the law, as the page does.
    assert "Obligation d'ouverture des données : Obligée" in text
    assert "hypothèse de l'Observatoire, qui n'est pas la loi" in text
    assert "Délibérations" in text and "Collectivités comparables" in text
    assert browser.errors_on(page) == []


READ_AT_1280 = ["/?t=dep:31", "/carte?t=dep:31", "/fiche?t=dep:31&siren=213105554",
                "/suivi?t=dep:31", "/semaine?t=dep:31", "/changements?t=dep:31",
                "/atelier?t=dep:31", "/prevision?t=dep:31", "/rapprochements?t=dep:31",
                "/methode"]


def test_pages_at_1280_px_have_no_cut_label_and_no_streamlit_english(app_url, chromium):
    """Issue 16 (items 7, 8): at 1,280 px no metric label, widget label or selected value
    is cut (« Ont commencé… », the rule in the sidebar), and no Streamlit English shows,
    dropdowns opened (« Select all », « Select 2 matches », « (true) », « 0.10 signifie »)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    try:
        for path in READ_AT_1280:
            browser.open_page(page, app_url + path)
            page.wait_for_timeout(300)
            assert browser.cut_labels(page) == [], path
            assert browser.english_on(page) == [], path
            for box in page.locator('[data-testid="stMultiSelect"]').all():
                box.click()
                page.get_by_role("option").first.wait_for(state="visible", timeout=5_000)
                assert browser.english_on(page) == [], path
                page.keyboard.press("Escape")
        # The sheet's search finds a collectivité by its code INSEE (and not « No results »).
        browser.open_page(page, app_url + "/fiche?t=reg:76")   # the région's own sheet
        page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first.get_by_role(
            "combobox").click()
        page.keyboard.type("31555")
        page.get_by_role("option").filter(has_text="Toulouse").first.wait_for(timeout=10_000)
        assert "No results" not in page.locator("body").inner_text()
    finally:
        context.close()
