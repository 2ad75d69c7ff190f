"""Every dashboard page through ``AppTest`` on the small fixture database
(tests/fixtures/dashboard): no exception, the shared selectors, the URL, the first run."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.ui import navigation, watch
from tests.fixtures.dashboard import build_db

APP = str(PROJECT_ROOT / "app.py")
PAGE_FILES = [f"pages/{p.file}" for p in navigation.PAGES]


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory):
    """One fixture database for the read-only tests: the dashboard's cache is keyed by
    the file and its modification time, so these tests share it as users would."""
    home = tmp_path_factory.mktemp("dashboard_home")
    build_db.build(load_settings({"ODLAB_HOME": str(home)}))
    return home


@pytest.fixture
def dash(env, shared_home, monkeypatch):
    """The app's environment pointing at the shared fixture database."""
    monkeypatch.setenv("ODLAB_HOME", str(shared_home))
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    return shared_home


def run_app(query: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    if page:  # AppTest resolves st.navigation pages only after a first run
        at.switch_page(page)
        at.run()
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    unexpected = [w.value for w in at.warning if "erreur inattendue" in w.value]
    assert not unexpected


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGE_FILES)
def test_every_page_renders_without_error(dash, page):
    at = run_app(page=page)
    assert_clean(at)
    assert at.title, "each page has a title"


def test_overview_figures_for_france(dash):
    at = run_app()
    assert_clean(at)
    m = metrics(at)
    # 16 collectivités, two communes under 3 500 inhabitants are not obliged.
    assert m["Collectivités obligées"] == "14"
    assert m["Publient"] == "2"
    assert m["Taux de publication"] == "14,3\u202f%"   # one decimal, as in the tables
    assert m["Statut inconnu"] == "0"
    assert "Situation au" in at.caption[0].value


def test_territory_change_through_the_selector(dash):
    at = run_app()
    at.selectbox(key="shell_terr_REG").select("76").run()
    at.selectbox(key="shell_terr_DEP").select("31").run()
    assert_clean(at)
    assert at.query_params["t"] == "dep:31"
    assert "Haute-Garonne" in at.title[0].value
    # Département 31: itself, Toulouse Métropole, the CC and 6 communes of 3 500 or more.
    assert metrics(at)["Collectivités obligées"] == "9"
    # Choosing an EPCI then a commune narrows further and keeps the parents.
    at.selectbox(key="shell_terr_EPCI").select("243100518").run()
    at.selectbox(key="shell_terr_COM").select("31069").run()
    assert at.query_params["t"] == "com:31069"
    assert "Blagnac" in at.title[0].value
    # Going back up resets the levels below.
    at.selectbox(key="shell_terr_REG").select("__tous__").run()
    assert at.query_params["t"] == "fr"


def test_territory_from_the_url(dash):
    at = run_app({"t": "epci:243100518"})
    assert_clean(at)
    assert "Toulouse Métropole" in at.title[0].value
    assert at.selectbox(key="shell_terr_DEP").value == "31"
    assert at.selectbox(key="shell_terr_EPCI").value == "243100518"
    # The territory stays selected on another page.
    at.switch_page("pages/carte.py").run()
    assert "Toulouse Métropole" in at.title[0].value
    # A new URL in the same session (back button, edited link) wins over the selectors.
    at.query_params["t"] = "dep:09"
    at.run()
    assert "Ariège" in at.title[0].value
    assert at.selectbox(key="shell_terr_DEP").value == "09"


def test_bad_url_falls_back_to_france(dash):
    at = run_app({"t": "dep:<script>", "regle": "nope", "au": "999"})
    assert_clean(at)
    assert at.query_params["t"] == "fr"
    assert at.query_params["regle"] == "legal"


def test_rule_and_snapshot_selectors(dash):
    at = run_app()
    at.selectbox(key="shell_snap").select("1").run()  # the 2021 Observatoire edition
    assert_clean(at)
    assert at.query_params["au"] == "1"
    # 2021 edition lists Toulouse, Toulouse Métropole and the Région.
    assert metrics(at)["Publient"] == "3"
    at.selectbox(key="shell_rule").select("odf").run()
    assert at.query_params["regle"] == "odf"
    assert_clean(at)


def test_trend_includes_observatoire_editions(dash):
    at = run_app()
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    trend = next(c for c in charts if "Évolution" in c["layout"]["title"]["text"])
    assert len(trend["data"][0]["x"]) == 3


def test_department_map_draws_its_communes_only(dash):
    at = run_app({"t": "dep:31"}, page="pages/carte.py")
    assert_clean(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    codes = {c for trace in spec["data"] for c in trace.get("locations", [])}
    assert "31555" in codes and "09122" not in codes
    assert spec["layout"]["map"]["style"] == "white-bg"
    assert spec["layout"]["map"]["layers"], "EPCI outlines are drawn"


def test_map_follows_the_rule_selector(settings, monkeypatch):
    # Aussonne (7 300 inhabitants) with 30 agents: not obliged by the law, obliged under the
    # Observatoire's rule (which assumes 50 agents above 3 500 inhabitants).
    from odlab_compliance import db

    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    build_db.build(settings)
    with db.connect(settings) as con:
        con.execute("UPDATE agents SET agents_min = 30, agents_max = 30 WHERE siren = ?",
                    ["213100322"])

    def trace_of(at, code):
        spec = json.loads(at.get("plotly_chart")[0].proto.spec)
        return next(t["name"] for t in spec["data"] if code in (t.get("locations") or []))

    at = run_app({"t": "dep:31"}, page="pages/carte.py")
    assert_clean(at)
    assert trace_of(at, "31032") == "Non obligée"
    at.selectbox(key="shell_rule").select("odf").run()
    assert_clean(at)
    assert at.query_params["regle"] == "odf"
    assert trace_of(at, "31032") == "Ne publie pas"


def test_france_map_has_areas_and_points(dash):
    at = run_app(page="pages/carte.py")
    assert_clean(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    kinds = [t["type"] for t in spec["data"]]
    assert kinds[0] == "choroplethmap" and "scattermap" in kinds


def test_sheet_shows_harvested_text_escaped(dash):
    at = run_app({"siren": "213105554"}, page="pages/fiche.py")
    assert_clean(at)
    assert at.title[0].value == "Toulouse"
    evidence = next(d.value for d in at.dataframe if "title" in d.value.columns)
    row = evidence[evidence["title"] == build_db.XSS_TITLE]
    assert len(row) == 1, "the hostile title is shown as plain text"
    assert (row["url"].fillna("") == "").all(), "a javascript: link is never made clickable"
    for md in at.markdown:
        assert "<script" not in md.value
    grid = next(d.value for d in at.dataframe if "libelle_etat" in d.value.columns)
    states = dict(zip(grid["jeu"], grid["libelle_etat"], strict=True))
    assert states["Délibérations"].startswith("Présent")
    assert states["Subventions"] == "Absent"


def test_sheet_follows_the_selected_territory(dash):
    at = run_app({"t": "com:31149"}, page="pages/fiche.py")
    assert_clean(at)
    assert at.title[0].value == "Colomiers"
    steps = [m.value for m in at.markdown if m.value[:1].isdigit()]
    assert len(steps) == 3


def test_stale_data_banner(settings, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    build_db.build(settings, harvest_date=dt.date.today() - dt.timedelta(days=120))
    at = run_app()
    assert any("datent du" in w.value for w in at.warning)


@pytest.mark.parametrize("stale_days,banner", [(None, False), ("10", True), ("30", False)])
def test_stale_days_setting(settings, monkeypatch, stale_days, banner):
    # Data 20 days old: fresh under the default 45 days, stale under ODLAB_STALE_DAYS=10.
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    if stale_days:
        monkeypatch.setenv("ODLAB_STALE_DAYS", stale_days)
    build_db.build(settings, harvest_date=dt.date.today() - dt.timedelta(days=20))
    at = run_app()
    assert_clean(at)
    stale = [w.value for w in at.warning if "datent du" in w.value]
    assert bool(stale) is banner, stale
    if banner:
        assert "il y a 20 jours (au-delà de 10 jours)" in stale[0]


@pytest.mark.parametrize("value,style", [(None, "white-bg"), ("1", "carto-positron"),
                                         ("0", "white-bg")])
def test_map_basemap_setting(dash, monkeypatch, value, style):
    if value is not None:
        monkeypatch.setenv("ODLAB_MAP_BASEMAP", value)
    at = run_app({"t": "dep:31"}, page="pages/carte.py")
    assert_clean(at)
    assert at.toggle(key="carte_basemap").value is (style != "white-bg")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["map"]["style"] == style
    # The page's switch still wins over the default, both ways.
    at.toggle(key="carte_basemap").set_value(style == "white-bg").run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert (spec["layout"]["map"]["style"] == "white-bg") is (style != "white-bg")


def test_methode_page_documents_rules_statuses_and_sources(dash):
    from odlab_compliance.ingest.sources import all_sources
    from odlab_compliance.model import obligation
    from odlab_compliance.model.status import STATUS_RULES
    from odlab_compliance.vocab import STATUT

    at = run_app(page="pages/methode.py")
    assert_clean(at)
    assert at.title[0].value == "Méthode et sources"
    assert "3 500 habitants ET 50 agents" in at.warning[0].value
    labels = [e.proto.label for e in at.get("expander")]
    markdown = "\n".join(m.value for m in at.markdown)
    docs = dict(obligation.parameter_docs())
    for rule in obligation.list_rules():
        assert f"{rule.label} (`{rule.id}`)" in labels
        for name in rule.parameters:
            assert f"`{name}` = **" in markdown and docs[name], name
    for code, text in STATUS_RULES.items():
        assert f"- **{STATUT.label(code)}** :" in markdown, code
        assert text in markdown.replace("\\", ""), code      # whole rule, escapes removed
    sources = next(d.value for d in at.dataframe if "Source" in d.value.columns)
    assert len(sources) == len(all_sources())
    assert set(sources["Licence"]) <= {s.licence for s in all_sources()}
    assert "Obtenu le" in sources.columns
    assert any("Limites connues" in h.value for h in at.header)


def test_failed_harvest_banner(settings, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(build_db.MIRROR))
    build_db.build(settings, failed_after=True)
    at = run_app()
    assert any("a échoué" in w.value for w in at.warning)
    assert not any("datent du" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["pages/vue-ensemble.py", "pages/carte.py", "pages/fiche.py"])
def test_reference_without_any_snapshot(settings, monkeypatch, page):
    build_db.build(settings, harvest=False, observatoire=False)
    at = run_app({"t": "dep:31"}, page=page)
    assert_clean(at)
    assert not at.warning, [w.value for w in at.warning]
    assert any("Aucune collecte" in i.value for i in at.info)


def test_empty_database_opens_the_setup_page(settings):
    at = run_app()
    assert not at.exception
    assert at.title[0].value == "Premier lancement"
    assert "vide" in at.info[0].value
    labels = [p.file for p in navigation.PAGES if not p.needs_data]
    assert "installation.py" in labels


GROUPS = ("UNPKG", "ETALAB_GEO", "DATAGOUV", "DATAGOUV_FILES", "SCHEMA_DATAGOUV", "GITHUB_RAW")


def test_first_run_reports_an_unreachable_source(settings, server, monkeypatch):
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")   # building is for editors
    # Every official base URL points at a local server that answers 503 on every path.
    from tests.httpserver import Reply
    from tests.test_network_errors import assert_french

    server.fallback = Reply(503, b"indisponible")
    for group in GROUPS:
        monkeypatch.setenv(f"ODLAB_BASE_URL_{group}", server.url)
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    at = run_app()
    at.button(key="setup_go").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "n'a pas pu être obtenue" in errors[0]
    assert "erreur HTTP 503 (service indisponible)" in errors[0]
    assert "réessayez plus tard" in errors[0] and "ODLAB_MIRROR_DIR" in errors[0]
    assert_french(errors[0])
    assert server.requests and all(r.path != "/" for r in server.requests)
    assert at.title[0].value == "Premier lancement"


def test_first_run_offline_without_mirror_is_french(settings, monkeypatch):
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")   # building is for editors
    # Offline: nothing answers (a closed port on 127.0.0.1 stands for the official hosts).
    from tests.test_network_errors import assert_french, closed_port

    port = closed_port()
    for group in GROUPS:
        monkeypatch.setenv(f"ODLAB_BASE_URL_{group}", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ODLAB_HTTP_RETRIES", "0")
    at = run_app()
    assert any("téléchargés depuis les sites officiels" in c.value for c in at.caption)
    at.button(key="setup_go").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and f"connexion refusée ou coupée (127.0.0.1:{port})" in errors[0]
    assert "ODLAB_MIRROR_DIR" in errors[0]
    assert_french(errors[0])


@pytest.mark.mirror
@pytest.mark.slow
def test_first_run_builds_from_the_mirror(settings, mirror_dir, monkeypatch):
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")   # building is for editors
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    at = run_app()
    assert at.title[0].value == "Premier lancement"
    at.button(key="setup_go").click().run(timeout=300)
    assert_clean(at)
    assert any("C'est prêt" in s.value for s in at.success)
    at = run_app({"t": "dep:31", "regle": "odf"})
    assert_clean(at)
    assert "Haute-Garonne" in at.title[0].value
    assert int(metrics(at)["Collectivités obligées"]) > 50


def test_overview_lists_the_obliged_most_populated_first_and_offers_the_report(dash):
    at = run_app({"t": "fr", "regle": "odf"})
    assert_clean(at)
    listing = next(d.value for d in at.dataframe if "Obligation" in d.value.columns)
    assert set(listing["Obligation"]) == {"Obligée"}
    pops = list(listing["Population totale"])
    assert pops == sorted(pops, reverse=True)
    assert any(b.label.startswith("Télécharger le rapport du territoire")
               for b in at.get("download_button"))


def test_sheet_at_france_level_waits_for_a_choice(dash):
    at = run_app({"t": "fr"}, page="pages/fiche.py")
    assert_clean(at)
    box = at.selectbox(key="fiche_siren")
    assert box.value is None and "un nom, un code INSEE ou un SIREN" in box.proto.placeholder
    assert any("Choisissez une collectivité" in i.value for i in at.info)
    box.select("213105554").run()     # Toulouse
    assert_clean(at)
    assert at.title[0].value == "Toulouse"
    assert at.subheader and any("prochaines étapes" in h.value for h in at.subheader)


def test_each_page_file_is_named_like_its_url():
    """On a server's first visit Streamlit may look for the URL's page among the files of
    pages/ before app.py declares the menu: /vue-ensemble must find pages/vue-ensemble.py,
    or the visitor sees « Page not found »."""
    for spec in navigation.PAGES:
        assert spec.file == f"{spec.url_path}.py", spec


def test_overview_watch_list_filter(dash):
    at = run_app()
    at.toggle(key="ve_veille").set_value(True).run()
    assert_clean(at)
    table = next(d.value for d in at.dataframe if "Pourquoi en veille" in d.value.columns)
    # Montastruc-Test (3 480 / 3 550 inhabitants, 55 agents counted by the prefecture) and
    # the CC des Coteaux du Girou (60 agents) are near a threshold; Toulouse is not
    assert "Montastruc-Test" in set(table["Nom"]) and "Toulouse" not in set(table["Nom"])
    assert set(table.columns) <= set(watch.WATCH_LABELS.values())   # no raw column name
    row = table[table["Nom"].eq("Montastruc-Test")].iloc[0]
    assert "Population proche de 3 500" in row["Pourquoi en veille"]
    assert "Décompte entre 40 et 60 agents" in row["Pourquoi en veille"]
    assert "populations légales" in row["Ce qui changerait la réponse"]
    at.multiselect(key="ve_veille_raisons").select("decompte_proche").run()
    table = next(d.value for d in at.dataframe if "Pourquoi en veille" in d.value.columns)
    assert set(table["Nom"]) == {"Montastruc-Test", "CC des Coteaux du Girou"}
