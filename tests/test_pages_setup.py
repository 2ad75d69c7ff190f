"""Premier lancement and the remedies, through ``AppTest`` (issue 16, items 1, 6, 10):
building is for editors; a reader learns what the data is and who to ask, never a
server path; the first run preselects the vintages the history needs and names its
sources in French; an editor starts a harvest from the page."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.ui import background, render, setup
from tests.conftest import FIXTURES
from tests.fixtures.dashboard import build_db

APP = str(PROJECT_ROOT / "app.py")
MIRROR = FIXTURES / "reference" / "mirror"
CONTACT = "Mission open data, préfecture de la Haute-Garonne (opendata@example.org)"


def run(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [x.value for kind in ("markdown", "caption", "info", "success", "warning",
                                  "error") for x in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_a_reader_cannot_build_and_is_told_who_to_ask(settings, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(MIRROR))
    monkeypatch.setenv("ODLAB_CONTACT", CONTACT)
    at = run()
    assert at.title[0].value == "Premier lancement"
    assert not [b for b in at.button if b.key == "setup_go"]
    assert not at.multiselect and not at.checkbox
    shown = texts(at)
    assert "miroir" not in shown.lower() and MIRROR.name not in shown
    assert "La base de données est vide" in shown
    assert "Seul un éditeur peut construire" in shown and CONTACT in shown
    assert "python -m" not in shown and "make run" not in shown
    assert not settings.db_path.exists() or _count(settings, "ref_collectivite") == 0


def _count(settings, table: str) -> int:  # noqa: ANN001
    with db.connect(path=settings.db_path, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (a constant)


def test_first_run_preselects_the_history_vintages_and_names_sources_in_french(
        settings, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(MIRROR))
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")
    at = run()
    assert at.multiselect(key="setup_vintages").value == [2026, 2022]
    assert any(render.md_escape(str(MIRROR)) in c.value for c in at.caption)   # an editor
    at.checkbox(key="setup_observatoire").uncheck()
    at.button(key="setup_go").click().run(timeout=300)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("C'est prêt" in x.value for x in at.success)
    with db.connect(path=settings.db_path, read_only=True) as con:
        assert sorted(r[0] for r in con.execute(
            "SELECT DISTINCT vintage FROM ref_collectivite").fetchall()) == [2022, 2026]


def test_build_steps_are_named_in_french(settings, monkeypatch):
    """Every step the reference load reports, as the page shows it (the page's progress
    is gone once the build is done, so the real steps are collected here)."""
    from odlab_compliance.config import load_settings
    from odlab_compliance.ingest.reference import load_vintage

    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(MIRROR))
    steps: list[str] = []
    with db.connect(load_settings()) as con:
        load_vintage(con, 2026, load_settings(), step=steps.append)
    shown = [setup.step_label(s, 2026) for s in steps]
    assert "obtention de « Communes du Code officiel géographique, avec population " \
           "municipale »" in shown
    assert "contours des communes" in shown
    assert not [s for s in shown if "source " in s or "cog-" in s or "geo-" in s
                or " COM" in s], shown


def test_default_vintages_follow_the_editions():
    assert setup.default_vintages([2022, 2026]) == [2026, 2022]
    assert setup.default_vintages([2026]) == [2026]
    assert setup.default_vintages([]) == []
    assert setup.step_label("écriture en base", 2026) == "écriture en base"
    assert setup.edition_label("observatoire:2022").startswith("Observatoire open data")


@pytest.fixture
def built(settings, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    build_db.build(settings)
    return settings


def test_a_reader_of_a_built_base_gets_sentences_not_buttons(built):
    at = run()
    at.switch_page("pages/installation.py")
    at.run()
    assert not [b for b in at.button if b.key in ("setup_go", "setup_harvest")]
    assert "Seul un éditeur peut construire ou reconstruire la base, lancer une collecte" \
        in texts(at)
    at = run("pages/methode.py")
    shown = texts(at)
    assert "miroir hors ligne" in shown and "fixtures" not in shown


def test_an_editor_starts_a_harvest_from_the_page(built, monkeypatch):
    """The button launches the real `harvest` command in the background; offline here
    (every host a closed port), it fails and says so in the journal, as a harvest run
    by the operator would."""
    from tests.test_network_errors import closed_port

    port = closed_port()
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")
    monkeypatch.setenv("ODLAB_DATAGOUV_URL", f"http://127.0.0.1:{port}")
    for group in ("DATAGOUV_FILES", "SCHEMA_DATAGOUV", "GITHUB_RAW"):
        monkeypatch.setenv(f"ODLAB_BASE_URL_{group}", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    at = run("pages/installation.py")
    assert "Rafraîchir les données" in [h.value for h in at.subheader]
    at.button(key="setup_harvest").click().run()
    assert any("Collecte lancée par" in s.value for s in at.success)
    assert (built.home / background.PID_FILE).is_file()
    at.run()
    if background.running(built) is not None:
        assert any("est en cours" in i.value for i in at.info)
        assert not [b for b in at.button if b.key == "setup_harvest"]
    deadline = time.monotonic() + 120
    while background.running(built) is not None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert background.running(built) is None
    with db.connect(path=built.db_path, read_only=True) as con:
        runs = con.execute("SELECT kind, status FROM harvest_run ORDER BY run_id DESC "
                           "LIMIT 1").fetchone()
    assert runs[0] == "harvest", (built.home / background.LOG_FILE).read_text()
    assert runs[1] in ("failed", "done"), runs


def test_an_editor_limited_to_a_departement_neither_builds_nor_harvests(built):
    from odlab_compliance import auth

    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets[auth.PASSWORDS_KEY] = [{"hash": auth.hash_password("mdp 31", iterations=1000),
                                       "territoires": ["dep:31"]}]
    at.run()
    at.switch_page("pages/installation.py")
    at.run()
    at.text_input(key="setup_login_name").input("Agent 31")
    at.text_input(key="setup_login_password").input("mdp 31")
    next(b for b in at.get("button") if "Se connecter" in str(b.proto.label)).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Agent 31" in at.get("expander")[0].proto.label
    assert not [b for b in at.button if b.key in ("setup_go", "setup_harvest")]
    assert any("Votre accès est limité à dep:31" in i.value for i in at.info)


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_a_staff_count_file_outside_the_editors_territory_is_refused(tmp_path):
    from odlab_compliance.errors import InputError
    from odlab_compliance.ui import remedies

    text = b"siren;agents;annee;source\n213105554;320;2025;DGS\n\n213200553;41;2025;DGS\n"
    with pytest.raises(InputError) as err:
        remedies._checked(tmp_path, _Upload("effectifs.csv", text), {"213105554"}, "dep:31")
    assert "ligne 4 : SIREN 213200553 hors de votre territoire (dep:31)" in str(err.value)
    path, rows = remedies._checked(tmp_path, _Upload("effectifs.csv", text), None, "")
    assert list(rows["agents_min"]) == [320, 41] and path.parent == tmp_path


def reader_without_counts(settings, monkeypatch, page: str) -> AppTest:  # noqa: ANN001
    """A reader of Haute-Garonne under the legal rule, every agent count deleted."""
    monkeypatch.setenv("ODLAB_CONTACT", CONTACT)
    with db.connect(settings) as con:
        con.execute("DELETE FROM agents")
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["t"] = "dep:31"
    at.query_params["regle"] = "legal"
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_suivi_offers_the_staff_count_remedy_as_a_sentence_to_a_reader(built, monkeypatch):
    at = reader_without_counts(built, monkeypatch, "pages/suivi.py")
    expander = next(e for e in at.expander if "Effectifs à obtenir" in e.label)
    shown = " ".join(str(x.value) for x in expander.caption) + " ".join(
        str(x.value) for x in expander.markdown)
    assert "python -m" not in shown
    assert f"pour les faire ajouter, adressez-vous à {CONTACT}" in shown


@pytest.mark.parametrize("page", ["pages/vue-ensemble.py", "pages/carte.py", "pages/suivi.py"])
def test_no_command_line_on_a_page_a_reader_reads(built, monkeypatch, page):
    """Issue 16, item 6: no agent counts, the legal rule: the notices say what fixes it
    in a sentence (who to ask), never `python -m odlab_compliance …` (the stale-data
    banner: tests/test_browser_writes.py, staff counts)."""
    at = reader_without_counts(built, monkeypatch, page)
    shown = texts(at)
    assert "python -m" not in shown and "odlab_compliance" not in shown
    assert CONTACT in shown
