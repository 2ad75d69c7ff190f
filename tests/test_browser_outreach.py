"""The outreach pages in a real headless Chromium, each against a real ``streamlit run``
server on 127.0.0.1 and the outreach fixture database (plus one overseas commune):

- local writing allowed by the operator (ODLAB_LOCAL_WRITE=1): build a cohort, download
  the invitation list, record a note, read the weekly actions; the France-level cohort
  map draws (it was blank: overseas communes moved its centre into the Atlantic);
- the same server address without sign-in and without the setting: every write refused;
- an editor whose password opens one département cannot write elsewhere.

Screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from odlab_compliance import auth, db
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.outreach import followup, workshops
from tests.conftest import require_browser
from tests.fixtures.dashboard import browser
from tests.fixtures.outreach.rows import AUCH, BLAGNAC, TLS, build_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]
APP = PROJECT_ROOT / "app.py"
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
# Saint-Denis (La Réunion): an obliged commune that does not publish, far from the rest.
SAINT_DENIS = ["2026", "219740115", "97411", "Saint-Denis", "COM", "974", "04", None,
               "153810", "150535", "55.4504", "-20.8823"]
PASSWORD_31 = "mot de passe de la Haute-Garonne"


def _build(home: Path) -> Path:
    settings = load_settings({"ODLAB_HOME": str(home)})
    with db.connect(settings) as con:
        build_db(con)
        con.execute("INSERT INTO ref_collectivite (vintage, siren, code_insee, nom, type, "
                    "departement, region, epci_siren, population_totale, "
                    "population_municipale, lon, lat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?)", SAINT_DENIS)
        con.execute("INSERT INTO agents (siren, source, agents_min, agents_max, annee, "
                    "source_detail) VALUES (?, 'prefecture', 900, 900, 2025, 'test')",
                    [SAINT_DENIS[1]])
    return settings.db_path


@pytest.fixture(scope="module")
def start(tmp_path_factory):
    """Start servers on 127.0.0.1 (each on its own database copy); stopped at the end."""
    require_browser()
    procs = []

    def serve(env: dict[str, str], secrets: str | None = None, *,
              build: bool = True) -> tuple[str, Path]:
        """``build=False``: an empty home (no database yet), as on a first run."""
        home = tmp_path_factory.mktemp("outreach_home")
        dbpath = _build(home) if build else load_settings({"ODLAB_HOME": str(home)}).db_path
        env = {"ODLAB_HOME": str(home), "ODLAB_LOCAL_WRITE": "0", **env}
        port = browser.free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless",
               "true", "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        # Our own secrets file (or an empty one): never the developer's ~/.streamlit
        path = home / "secrets.toml"
        path.write_text(secrets or "", encoding="utf-8")
        cmd += ["--secrets.files", str(path)]
        log = open(home / "server.log", "wb")  # noqa: SIM115 (kept open for the server's life)
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env={**os.environ, **env},
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",  # noqa: S310
                                            timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"streamlit n'a pas démarré : {home / 'server.log'}")
                time.sleep(0.3)
        return f"http://127.0.0.1:{port}", dbpath

    yield serve
    for proc in procs:
        browser.stop_server(proc)


@pytest.fixture
def page(chromium):
    pg = browser.new_page(chromium)
    yield pg
    pg.context.close()


def _log(dbpath: Path):
    with db.connect(path=dbpath, read_only=True) as con:
        return followup.log(con)


def _map_pixels(page) -> int:  # noqa: ANN001
    """Non-white pixels of the first plotly map on the page (points and outlines)."""
    from PIL import Image

    plot = page.locator(".js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    browser.wait_drawn(page)
    image = Image.open(io.BytesIO(plot.screenshot())).convert("L")
    return sum(1 for v in image.tobytes() if v < 200)


def test_local_writing_cohort_download_note_and_week(start, page, tmp_path):
    url, dbpath = start({"ODLAB_LOCAL_WRITE": "1"})
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
    # territory, rule and the snapshot's date in the name
    assert target.name == "invitations-dep-31-legal-2026-10-01.csv"
    assert text.startswith(b"\xef\xbb\xbf")
    lines = text[3:].decode("utf-8").splitlines()
    assert lines[0].startswith("Nom;Type;Dép.;Intercommunalité;Population;Statut;"
                               "Étape du suivi;Contact")
    assert {line.split(";")[0] for line in lines[1:]} == {"Colomiers", "Saint-Cyprien"}

    browser.open_page(page, url + "/suivi?t=dep:31", title="Suivi")
    assert browser.errors_on(page) == []
    assert page.get_by_text("Press Enter to submit form").count() == 0
    page.get_by_label("Note", exact=True).fill("Appel au DGS : publication prévue en janvier")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("Enregistré (1 changement(s))").wait_for(timeout=30_000)
    browser.wait_drawn(page)
    page.screenshot(path=str(SHOTS / "outreach-suivi.png"), full_page=True)
    notes = _log(dbpath)
    assert list(notes["valeur"]) == ["Appel au DGS : publication prévue en janvier"]
    assert notes["editeur"].iloc[0].endswith(" (poste local)")

    with db.connect(path=dbpath) as con:
        followup.record(con, [followup.Change(TLS, prochaine_action=date.today()
                                              + timedelta(days=2), contact="M. Dupont")],
                        editor="alice", origin="page")
    browser.open_page(page, url + "/semaine?t=dep:31", title="Mes actions")
    assert browser.errors_on(page) == []
    assert page.get_by_text("À faire (1)").count() == 1
    page.screenshot(path=str(SHOTS / "outreach-semaine.png"), full_page=True)


def test_france_level_cohort_map_draws(start, page):
    """Measured: with overseas communes in the cohort, the map's centre fell in the
    Atlantic (14.9° N) and the map was blank. Now the metropole is framed and drawn."""
    url, _ = start({"ODLAB_LOCAL_WRITE": "1"})
    browser.open_page(page, url + "/atelier?t=fr", maps=1, title="Atelier")
    assert browser.errors_on(page) == []
    assert page.get_by_text("Cohorte : 4 collectivité(s)").count() == 1  # Saint-Denis too
    center = page.evaluate("() => document.querySelector('.js-plotly-plot')"
                           "._fullLayout.map.center")
    assert 41 < center["lat"] < 51.5 and -5.5 < center["lon"] < 10
    assert _map_pixels(page) > 200, "carte de la cohorte vide"
    page.locator(".js-plotly-plot").first.screenshot(
        path=str(SHOTS / "outreach-atelier-france-carte.png"))


def _write_buttons(page):  # noqa: ANN001
    names = ("Enregistrer", "Importer", "Enregistrer les présences")
    return [b for b in page.get_by_role("button").all()
            if any(b.inner_text().strip().startswith(n) for n in names)]


def test_loopback_server_without_sign_in_or_setting_refuses_every_write(start, page):
    """127.0.0.1 is where a reverse proxy on the same host sends every visitor: without
    sign-in and without ODLAB_LOCAL_WRITE, nothing can be written."""
    url, dbpath = start({})
    with db.connect(path=dbpath) as con:
        workshops.create(con, titre="Atelier passé", date_atelier=date(2026, 4, 1),
                         editor="alice", invitees=_invitees([BLAGNAC]))
    browser.open_page(page, url + "/suivi?t=dep:31", title="Suivi")
    assert page.locator('[data-testid="stExpander"] summary').first.inner_text() \
        .strip().endswith("Lecture seule")
    page.get_by_label("Note", exact=True).fill("intrusion")
    found = _write_buttons(page)
    assert found and all(b.is_disabled() for b in found)
    page.get_by_text("Importer un tableau de suivi").click()
    assert page.locator('[data-testid="stFileUploader"] input[type="file"]').is_disabled()
    # the uploader's own English (« Upload », « 200MB per file ») is said in French
    assert browser.english_on(page) == []
    assert page.locator('[data-testid="stFileUploaderDropzoneInstructions"] span').evaluate(
        "e => getComputedStyle(e, '::after').content") == '"ou déposez-le ici (200 Mo au plus)"'
    page.screenshot(path=str(SHOTS / "outreach-suivi-lecture-seule.png"), full_page=True)

    browser.open_page(page, url + "/atelier?t=dep:31", maps=1, title="Atelier")
    page.get_by_label("Titre").fill("intrusion")
    found = _write_buttons(page)
    assert found and all(b.is_disabled() for b in found)
    page.get_by_role("tab", name="Ateliers passés").click()
    browser.wait_drawn(page)
    found = _write_buttons(page)
    assert any("présences" in b.inner_text() for b in found)
    assert all(b.is_disabled() for b in found)
    assert _log(dbpath).empty
    with db.connect(path=dbpath, read_only=True) as con:
        assert len(workshops.list_workshops(con)) == 1
        assert workshops.invitations(con)["present"].isna().all()


def _invitees(sirens):  # noqa: ANN001, ANN202
    import pandas as pd

    return pd.DataFrame({"siren": sirens, "nom": sirens})


def test_an_editor_limited_to_one_departement_cannot_write_elsewhere(start, page, tmp_path):
    secrets = (f'{auth.PASSWORDS_KEY} = [{{ hash = "{auth.hash_password(PASSWORD_31, iterations=1000)}", '
               'territoires = ["dep:31"] }]\n')
    url, dbpath = start({}, secrets)
    browser.open_page(page, url + "/suivi?t=reg:76", title="Suivi")
    page.get_by_label("Votre nom (inscrit au journal)").fill("Agent 31")
    page.get_by_label("Mot de passe des éditeurs").fill(PASSWORD_31)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_text("Modification : Agent 31 (dep:31)").wait_for(timeout=30_000)
    browser.wait_drawn(page)

    # Auch is in the Gers (32): read-only, the button disabled
    browser.choose(page, "Collectivité", "Auch (Commune)", area="stMain")
    assert page.get_by_text("Auch (Commune) est hors de votre territoire (dep:31)").count() == 1
    assert page.get_by_role("button", name="Enregistrer", exact=True).is_disabled()
    page.screenshot(path=str(SHOTS / "outreach-suivi-hors-territoire.png"), full_page=True)

    # an import that changes Auch is refused whole, naming the line
    upload = tmp_path / "suivi.csv"
    upload.write_text(f"siren;etape\n{BLAGNAC};Contactée\n{AUCH};Contactée\n",
                      encoding="utf-8")
    page.get_by_text("Importer un tableau de suivi").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(upload))
    browser.wait_drawn(page)
    # refused in the preview, before any button
    error = page.locator('[data-testid="stAlertContentError"]').filter(
        has_text="hors de votre territoire (dep:31)")
    error.wait_for(timeout=30_000)
    assert "ligne 3" in error.inner_text() and "rien n'a été enregistré" in error.inner_text()
    assert _log(dbpath).empty

    # Blagnac (31): written, and the log says the editor was limited
    browser.choose(page, "Collectivité", "Blagnac (Commune)", area="stMain")
    page.get_by_label("Note", exact=True).fill("Rendez-vous pris")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_text("Enregistré (1 changement(s))").wait_for(timeout=30_000)
    got = _log(dbpath)
    assert list(zip(got["siren"], got["editeur"], got["origine"], strict=True)) == [
        (BLAGNAC, "Agent 31", "page (limité à dep:31)")]

    # a workshop whose cohort reaches the Gers cannot be saved (through the menu: the
    # sign-in lives in the browser session, which a reload would end)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Atelier").click()
    page.get_by_text("Cohorte :").first.wait_for(timeout=30_000)
    browser.wait_drawn(page)
    assert page.get_by_text("hors de votre territoire (dep:31)").count() >= 1
    save = next(b for b in _write_buttons(page) if "invité" in b.inner_text())
    assert save.is_disabled()
    with db.connect(path=dbpath, read_only=True) as con:
        assert workshops.list_workshops(con).empty
