"""In a real headless Chromium against ``streamlit run`` on the national database (mirror):
an editor of Haute-Garonne signs in on Suivi, selects the late collectivités (Observatoire
rule), previews a letter, sends the e-mails to a real SMTP server (aiosmtpd on
127.0.0.1), and the follow-up log shows each sending. Screenshots in
artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from odlab_compliance import auth, db, vocab
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.ingest import contacts
from odlab_compliance.model.status import StatusModel
from odlab_compliance.outreach import followup
from odlab_compliance.territory import Territory
from tests.conftest import require_browser
from tests.fixtures import annuaire
from tests.fixtures.dashboard import browser
from tests.smtpserver import SmtpServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
PASSWORD = "mot de passe de la Haute-Garonne"
MURET = "213103955"


@pytest.fixture
def haute_garonne(national_home, tmp_path, monkeypatch):
    """A copy of the national database with the Annuaire loaded for Occitanie (one in
    seven collectivités without an address); the late list of dep:31 under ``odf``."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(national_home / "odlab.duckdb", home / "odlab.duckdb")
    for k in [k for k in os.environ if k.startswith("ODLAB_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("ODLAB_HOME", str(home))
    settings = load_settings()
    with db.connect(settings) as con:
        ref = contacts.reference_for_matching(con)
        ref = ref[ref["region"].eq("76") | ref["siren"].str.startswith("2")]
        ref = ref[ref["departement"].eq("31") | ref["type"].isin(["DEP", "REG"])]
        without = set(ref["siren"].iloc[::7]) - {MURET}
        entries = contacts.parse_entries(annuaire.for_reference(ref, without_email=without))
        contacts.store(con, contacts.match(entries, contacts.reference_for_matching(con)))
        model = StatusModel.from_connection(con)
        at = model.status_at(Territory.from_cli("dep:31"), "odf")
        work = followup.worklist(at.frame, followup.state(con))
        late = work[work["categorie"].eq(vocab.TRAVAIL_RETARD)]["siren"].tolist()
    return home, late, without


def _serve(home, secrets: str):
    port = browser.free_port()
    path = home / "secrets.toml"
    path.write_text(secrets, encoding="utf-8")
    cmd = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
           "--server.headless", "true", "--server.port", str(port), "--server.address",
           "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType",
           "none", "--secrets.files", str(path)]
    env = {**os.environ, "ODLAB_HOME": str(home), "ODLAB_LOCAL_WRITE": "0"}
    log = open(home / "server.log", "wb")  # noqa: SIM115 (kept open for the server's life)
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",  # noqa: S310
                                        timeout=2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"streamlit n'a pas démarré : {home / 'server.log'}")
            time.sleep(0.3)


def test_an_editor_writes_to_the_late_collectivites_of_haute_garonne(haute_garonne,
                                                                      chromium):
    require_browser()
    home, late, without = haute_garonne
    assert len(late) >= 60          # « 64 late » in the issue, under the Observatoire rule
    smtp = SmtpServer().start()
    secrets = (f'{auth.PASSWORDS_KEY} = [{{ hash = "{auth.hash_password(PASSWORD, iterations=1000)}",'
               f' territoires = ["dep:31"] }}]\n'
               f'[odlab_smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurite = "aucune"\n'
               '[odlab_courrier]\nnom = "Préfecture de la Haute-Garonne"\n'
               'courriel = "open-data@haute-garonne.gouv.fr"\n'
               'reponse_a = "mission.opendata@haute-garonne.gouv.fr"\n'
               'correspondant = "Mme Élodie Durand, mission données ouvertes"\n'
               'telephone = "05 34 45 34 45"\nville = "Toulouse"\n')
    proc, url = _serve(home, secrets)
    page = browser.new_page(chromium)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        browser.open_page(page, url + "/suivi?t=dep:31&regle=odf", title="Suivi",
                          timeout_ms=180_000)
        page.get_by_label("Votre nom (inscrit au journal)").fill("Agent 31")
        page.get_by_label("Mot de passe des éditeurs").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.get_by_text("Modification : Agent 31 (dep:31)").wait_for(timeout=60_000)
        browser.wait_drawn(page, 120_000)
        # the late ones only
        lists = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').filter(
            has_text="Liste").first
        lists.get_by_role("combobox").click()
        page.get_by_role("option").filter(has_text="En retard").first.click()
        page.keyboard.press("Escape")
        browser.wait_drawn(page, 120_000)
        expander = page.get_by_text(
            f"Écrire aux collectivités de la liste affichée ({len(late)})")
        expander.wait_for(timeout=60_000)      # the list shows the late ones only
        expander.click()
        browser.switch_on(page, "Préparer les courriers de cette liste")
        page.get_by_text("avec une adresse électronique").first.wait_for(timeout=120_000)
        browser.wait_drawn(page, 120_000)
        # 60-odd options: the list is virtualised, type to find Muret as a person does
        box = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').filter(
            has_text="Aperçu").first
        box.get_by_role("combobox").click()
        page.keyboard.type("Muret")
        page.get_by_role("option").filter(has_text="Muret").first.click()
        page.wait_for_timeout(300)
        browser.wait_drawn(page, 120_000)
        code = page.locator('[data-testid="stCode"]').first
        assert "Muret (Commune, 25" in code.inner_text()
        assert "Mme Élodie Durand, mission données ouvertes au 05 34 45 34 45" in \
            code.inner_text()
        page.screenshot(path=str(SHOTS / "courriers-suivi-apercu.png"), full_page=True)
        pace = page.get_by_label("Messages par minute")
        pace.fill("600")
        pace.press("Tab")
        page.get_by_role("button", name="Envoyer les courriels").click()
        page.get_by_text("Campagne « relance-dep-31-").first.wait_for(timeout=240_000)
        browser.wait_drawn(page, 120_000)
        page.screenshot(path=str(SHOTS / "courriers-suivi-envoi.png"), full_page=True)
        assert browser.errors_on(page) == []
    except Exception:
        page.screenshot(path=str(SHOTS / "courriers-suivi-echec.png"), full_page=True)
        raise
    finally:
        page.context.close()
        smtp.stop()
        browser.stop_server(proc)
    expected = set(late) - without
    got = smtp.sirens()
    assert sorted(got) == sorted(expected)                  # one each, no one else
    with db.connect(path=home / "odlab.duckdb", read_only=True) as con:
        log = followup.log(con)
        state = followup.state(con).set_index("siren")
    notes = log[log["champ"].eq("note")]
    assert set(notes["siren"]) == expected
    assert notes["valeur"].str.startswith("Courriel « Relance » envoyé le ").all()
    assert set(notes["editeur"]) == {"Agent 31"}
    assert set(notes["origine"]) == {"page (limité à dep:31)"}
    assert (state.loc[sorted(expected), "etape"] == vocab.ETAPE_CONTACTEE).all()
