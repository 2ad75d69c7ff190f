"""AppTest of the outreach pages on a fixture database: each page runs without error,
writes work for an editor, and nobody else can write when a password or OIDC is set."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance import auth, db, vocab
from odlab_compliance.outreach import followup, workshops
from tests.fixtures.outreach.rows import BLAGNAC, COLOMIERS, STCYP, build_db

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["suivi.py", "semaine.py", "changements.py", "atelier.py", "prevision.py"]
HASH = auth.hash_password("mot de passe des éditeurs", iterations=1000)


@pytest.fixture
def dbpath(settings):
    with db.connect(settings) as con:
        build_db(con)
    return settings.db_path


@pytest.fixture
def listen(monkeypatch):
    """Whether the operator allowed local writing (``ODLAB_LOCAL_WRITE``; AppTest runs the
    page in this process, which reads the setting from the environment)."""

    def set_to(local_write: bool):
        monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1" if local_write else "0")

    set_to(False)
    return set_to


APP = ROOT / "app.py"


def run(page: str, secrets: dict | None = None, territory: str | None = None,
        **params: str) -> AppTest:
    """The real app shell (sidebar, URL, banner), switched to ``page``."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    if territory:
        at.query_params["t"] = territory
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page}")  # relative to the app script
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def log(dbpath) -> pd.DataFrame:
    with db.connect(path=dbpath, read_only=True) as con:
        return followup.log(con)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs(dbpath, page, listen):
    listen(False)
    at = run(page)
    assert at.title[0].value.endswith("France")
    assert not at.error


def widget(at: AppTest, kind: str, label: str):
    """The widget of ``kind`` whose label is ``label`` (the form's widgets are keyed by
    the collectivité, so tests find them by what a person reads)."""
    return next(w for w in getattr(at, kind) if w.label == label)


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table of the page that has ``column``."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def save_button(at: AppTest):
    return next(b for b in at.get("button") if str(b.proto.label) == "Enregistrer")


def test_suivi_lists_the_worklist_and_records_a_note_locally(dbpath, listen):
    listen(True)
    at = run("suivi.py")
    late = at.dataframe[0].value
    assert COLOMIERS in set(late["siren"])
    at.selectbox(key="suivi_siren").select(BLAGNAC)
    at.run()
    widget(at, "selectbox", "Étape").select("contacte")
    widget(at, "text_area", "Note").input("Appel au secrétariat")
    widget(at, "text_input", "Personne à contacter").input("Mme Dupont")
    save_button(at).click()
    at.run()
    assert not at.exception
    assert at.success and "Enregistré" in at.success[0].value
    got = log(dbpath)
    assert set(got["champ"]) == {"etape", "note", "contact"}
    assert got["editeur"].str.endswith(" (poste local)").all()


def test_a_note_saved_for_an_accompanied_collectivite_keeps_its_stage(dbpath, listen):
    """The measured defect: the form kept the stage widget of the collectivité chosen
    before, so a note for one at "Accompagnée" logged "Étape → À contacter"."""
    listen(True)
    with db.connect(path=dbpath) as con:
        followup.record(con, [followup.Change(BLAGNAC, etape=vocab.ETAPE_ACCOMPAGNEE,
                                              contact="M. Blanc",
                                              prochaine_action=date(2026, 12, 1))],
                        editor="alice", origin="page")
    at = run("suivi.py", territory="dep:31")
    first = at.selectbox(key="suivi_siren").value
    assert first != BLAGNAC                   # the form first shows another collectivité
    assert widget(at, "selectbox", "Étape").value == vocab.DEFAULT_STAGE
    at.selectbox(key="suivi_siren").select(BLAGNAC)
    at.run()
    # the form shows the chosen collectivité's current values
    assert widget(at, "selectbox", "Étape").value == vocab.ETAPE_ACCOMPAGNEE
    assert widget(at, "text_input", "Personne à contacter").value == "M. Blanc"
    assert widget(at, "checkbox", "Prochaine action prévue").value is True
    assert widget(at, "date_input", "Date de la prochaine action").value == date(2026, 12, 1)
    widget(at, "text_area", "Note").input("Point d'étape : délibérations prêtes")
    save_button(at).click()
    at.run()
    assert not at.exception
    new = log(dbpath).iloc[3:]
    assert list(zip(new["siren"], new["champ"], strict=True)) == [(BLAGNAC, "note")]
    with db.connect(path=dbpath, read_only=True) as con:
        st = followup.state(con).set_index("siren")
    assert st.loc[BLAGNAC, "etape"] == vocab.ETAPE_ACCOMPAGNEE
    # right after the save, the page shows the new state: caption, log, empty note
    assert any("Étape actuelle : Accompagnée" in c.value for c in at.caption)
    assert widget(at, "text_area", "Note").value == ""
    journal = table_with(at, "champ")
    assert list(journal["valeur"])[:1] == ["Point d'étape : délibérations prêtes"]
    assert "Enregistré (1 changement(s))" in at.success[0].value
    # unchecking the planned action clears its date, and nothing else
    widget(at, "checkbox", "Prochaine action prévue").uncheck()
    save_button(at).click()
    at.run()
    new = log(dbpath).iloc[4:]
    assert list(zip(new["champ"], new["valeur"], strict=True)) == [("prochaine_action", "")]
    assert widget(at, "checkbox", "Prochaine action prévue").value is False


def _worklist(at: AppTest) -> dict[str, str]:
    table = table_with(at, "categorie")
    return dict(zip(table["nom"], table["categorie"], strict=True))


@pytest.mark.parametrize("rule, snapshot, expected", [
    # October harvest (dated, schema-listing source): Blagnac, Muret and the Métropole
    # publish fresh data without SCDL -> late; Balma's source failed -> to evaluate;
    # Saint-Cyprien has no staff count -> under the law, its count is to obtain.
    ("legal", "oct", {
        "Toulouse Métropole": "En retard", "Colomiers": "En retard",
        "Blagnac": "En retard", "Muret": "En retard", "Haute-Garonne": "En retard",
        "Auch": "En retard", "Balma": "À évaluer", "Saint-Cyprien": "Effectif à obtenir"}),
    # the Observatoire's hypothesis makes Saint-Cyprien obliged (population only)
    ("odf", "oct", {
        "Toulouse Métropole": "En retard", "Colomiers": "En retard",
        "Blagnac": "En retard", "Muret": "En retard", "Haute-Garonne": "En retard",
        "Auch": "En retard", "Balma": "À évaluer", "Saint-Cyprien": "En retard"}),
    # an Observatoire edition gives neither dates nor schemas: its publishers are to
    # evaluate, never late (Toulouse included); non-publishers are late.
    ("odf", "odf", {
        "Toulouse Métropole": "À évaluer", "Toulouse": "À évaluer", "Colomiers": "À évaluer",
        "Balma": "À évaluer", "Blagnac": "En retard", "Muret": "En retard",
        "Haute-Garonne": "En retard", "Auch": "En retard", "Saint-Cyprien": "En retard"}),
])
def test_worklist_under_each_rule_known_answers(dbpath, listen, rule, snapshot, expected):
    with db.connect(path=dbpath) as con:
        runs = {"odf": con.execute("SELECT min(run_id) FROM harvest_run").fetchone()[0],
                "oct": con.execute("SELECT max(run_id) FROM harvest_run").fetchone()[0]}
        con.execute("DELETE FROM agents WHERE siren = ?", [STCYP])
    at = run("suivi.py", regle=rule, au=str(runs[snapshot]))
    assert _worklist(at) == expected
    metrics = {m.label: m.value for m in at.metric}
    counts = pd.Series(expected).value_counts()
    assert metrics["En retard"] == str(counts.get("En retard", 0))
    assert metrics["Effectif à obtenir"] == str(counts.get("Effectif à obtenir", 0))
    if "Effectif à obtenir" in expected.values():
        assert at.get("download_button")  # the prefecture template is offered


def test_changements_known_answer(dbpath, listen):
    listen(False)
    at = run("changements.py", territory="dep:31")
    assert at.title[0].value == "Changements · Haute-Garonne"
    at.date_input(key="chg_from").set_value(date(2026, 3, 15))
    at.date_input(key="chg_to").set_value(date(2026, 9, 15))
    at.run()
    table = at.dataframe[0].value
    assert dict(zip(table["nom"], table["libelle"], strict=True)) == {
        "Blagnac": "Ont commencé à publier", "Colomiers": "Ont cessé de publier",
        "Balma": "Statut désormais inconnu (source indisponible, pas un arrêt)"}
    assert "Haute-Garonne (31)" in at.code[0].value


def test_atelier_cohort_and_record(dbpath, listen):
    listen(True)
    at = run("atelier.py")
    at.selectbox(key="atelier_venue").select("31555")
    at.run()
    cohort = at.dataframe[0].value
    assert list(cohort["Nom"])[:1] == ["Colomiers"]  # closest non-publishing commune
    at.text_input(key="atelier_form_title").input("Atelier SCDL")
    next(b for b in at.get("button") if "Enregistrer avec" in str(b.proto.label)).click()
    at.run()
    assert not at.exception and "enregistré" in at.success[0].value
    with db.connect(path=dbpath, read_only=True) as con:
        assert workshops.list_workshops(con).loc[0, "nb_invites"] == len(cohort)
    at = run("atelier.py")  # already invited are now left out by default
    assert set(at.dataframe[0].value["Nom"]) == {"Auch"}  # too far for the first cohort


def test_prevision_what_if(dbpath, listen):
    listen(False)
    at = run("prevision.py")
    before = {m.label: m.value for m in at.metric}
    now = next(label for label in before if label.startswith("Taux au "))
    # Latest snapshot of the fixture, France: 9 obliged, 4 publish, 1 unknown: 4/8.
    assert before[now] == "50,0\u202f%" and before["Si la cohorte publie"] == "—"
    at.multiselect(key="prev_cohort_None").select(COLOMIERS)
    at.run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    # Colomiers publishing too: 5/8 = 62.5 %, with the tables' one decimal; the current
    # rate is unchanged.
    assert after[now] == "50,0\u202f%" and after["Si la cohorte publie"] == "62,5\u202f%"
    assert any("ferait gagner 12,5\u202f% de taux" in c.value for c in at.caption)
    method = at.get("expander")[-1]
    assert method.proto.label == "Méthode et limites"
    assert any("moindres carrés" in m.value for m in at.markdown)


def _force_all_writes(at: AppTest) -> int:
    """Every write button is disabled for a reader; then press each one anyway, as a forged
    request would: nothing may be saved (Streamlit drops a disabled widget's value, and the
    pages check the right to write again on submit). Number of write buttons pressed."""
    labels = [str(b.proto.label) for b in at.get("button")
              if any(w in str(b.proto.label) for w in ("Enregistrer", "Importer"))]
    for label in labels:
        button = next(b for b in at.get("button") if str(b.proto.label) == label)
        assert button.proto.disabled, f"bouton actif pour un lecteur : {label}"
        # AppTest, like a browser, refuses to press a disabled widget: lift the flag on the
        # test's copy only, so the click reaches the server as a forged message would.
        button.proto.disabled = False
        button.click()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.success, f"« {label} » pressé par un lecteur : {at.success[0].value}"
    return len(labels)


@pytest.mark.parametrize("secrets", [
    {auth.PASSWORD_KEY: HASH},
    {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
              "client_id": "id", "client_secret": "s",
              "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}},
])
def test_reader_cannot_write_when_auth_is_configured(dbpath, listen, secrets):
    listen(True)  # even on localhost: configured auth takes precedence
    with db.connect(path=dbpath) as con:
        workshops.create(con, titre="Atelier", date_atelier=date(2026, 4, 1), editor="alice",
                         invitees=pd.DataFrame({"siren": [BLAGNAC], "nom": ["Blagnac"]}))
    for page in PAGES:
        at = run(page, secrets)
        if page == "suivi.py":
            widget(at, "text_area", "Note").input("intrusion")
        elif page == "atelier.py":
            at.text_input(key="atelier_form_title").input("intrusion")
        if page in ("suivi.py", "atelier.py"):  # the pages that write
            assert "Lecture seule" in at.get("expander")[0].proto.label
        writes = _force_all_writes(at)
        # suivi: the note form (its import button needs a file first); atelier: the workshop
        # form and the attendance button of the stored workshop.
        assert writes == {"suivi.py": 1, "atelier.py": 2}.get(page, 0), page
    assert log(dbpath).empty
    with db.connect(path=dbpath, read_only=True) as con:
        assert len(workshops.list_workshops(con)) == 1
        assert workshops.invitations(con)["present"].isna().all()


def test_password_editor_can_write_and_is_logged(dbpath, listen):
    listen(False)
    secrets = {auth.PASSWORD_KEY: HASH}
    at = run("suivi.py", secrets)
    at.text_input(key="suivi_login_name").input("Alice Martin")
    at.text_input(key="suivi_login_password").input("faux")
    next(b for b in at.get("button") if "Se connecter" in str(b.proto.label)).click()
    at.run()
    assert at.error and "incorrect" in at.error[0].value
    at.text_input(key="suivi_login_password").input("mot de passe des éditeurs")
    next(b for b in at.get("button") if "Se connecter" in str(b.proto.label)).click()
    at.run()
    assert "Alice Martin" in at.get("expander")[0].proto.label
    widget(at, "text_area", "Note").input("Relance")
    save_button(at).click()
    at.run()
    assert set(log(dbpath)["editeur"]) == {"Alice Martin"}


def test_weekly_actions_known_answers(dbpath, listen):
    """Due actions (overdue or within 7 days), regressions since the previous snapshot
    (September harvest vs the March edition: Colomiers stopped; Balma's outage is not a
    regression) and data older than 12 months (Blagnac's dataset, dated 2024)."""
    from tests.fixtures.outreach.rows import BALMA, TLS

    today = date.today()
    with db.connect(path=dbpath) as con:
        sep = con.execute("SELECT run_id FROM harvest_run WHERE snapshot_date = "
                          "'2026-09-01'").fetchone()[0]
        con.execute("UPDATE harvest_dataset SET last_update = '2024-01-15' WHERE run_id = ? "
                    "AND siren_hint = ?", [sep, BLAGNAC])
        followup.record(con, [
            followup.Change(TLS, prochaine_action=today - timedelta(days=2), note="Relancer"),
            followup.Change(BLAGNAC, prochaine_action=today + timedelta(days=3),
                            contact="M. Blanc"),
            followup.Change(BALMA, prochaine_action=today + timedelta(days=20))],
            editor="alice", origin="page")
    at = run("semaine.py", territory="dep:31", regle="odf", au=str(sep))
    table = table_with(at, "Rubrique")
    got = list(zip(table["Rubrique"], table["Nom"], strict=True))
    assert got == [("Action prévue", "Toulouse"), ("Action prévue", "Blagnac"),
                   ("Régression depuis la collecte précédente", "Colomiers"),
                   ("Données de plus de 12 mois", "Blagnac")]
    assert "en retard" in table["Détail"].iloc[0] and "Relancer" in table["Détail"].iloc[0]
    assert table["Contact"].iloc[1] == "M. Blanc"
    assert table["Détail"].iloc[2] == "Ont cessé de publier"
    assert table["Détail"].iloc[3] == "dernière mise à jour le 15/01/2024"
    assert any("statut devenu inconnu" in i.value for i in at.info)
    assert at.get("download_button")


def test_suivi_watch_list_filter_keeps_those_near_a_threshold(dbpath, listen):
    listen(False)
    with db.connect(path=dbpath) as con:   # Colomiers: an exact count of 52 agents
        con.execute("DELETE FROM agents WHERE siren = ?", [COLOMIERS])
        con.execute("INSERT INTO agents (siren, source, agents_min, agents_max, annee, "
                    "source_detail) VALUES (?, 'prefecture', 52, 52, 2025, 'test')",
                    [COLOMIERS])
    at = run("suivi.py")
    assert len(at.dataframe[0].value) > 1
    at.toggle(key="suivi_veille").set_value(True).run()
    assert not at.exception
    # Colomiers (52 agents) and Saint-Cyprien (3 600 inhabitants) are near a threshold
    assert set(at.dataframe[0].value["siren"]) == {COLOMIERS, "213100555"}
    at.multiselect(key="suivi_veille_raisons").select("decompte_proche").run()
    assert list(at.dataframe[0].value["siren"]) == [COLOMIERS]


def test_saving_a_note_keeps_the_cached_data_and_a_harvest_does_not(dbpath, listen, settings):
    """Saving a note rewrote the file, so every cached table (statuses, maps, profiles)
    was recomputed: 3.5 s to redraw Suivi. A note keeps the cache key; any write the
    model reads (here a matching decision from the command line) gives a new one."""
    from odlab_compliance.ui import cache

    listen(True)
    at = run("suivi.py", territory="dep:31")
    before = cache.signature(settings)
    tables = cache.tables(before)
    at.selectbox(key="suivi_siren").select(BLAGNAC)
    at.run()
    widget(at, "text_area", "Note").input("Relance téléphonique")
    save_button(at).click()
    at.run()
    assert at.success and "Enregistré" in at.success[0].value
    assert cache._file_signature(settings) != before          # the file did change
    assert cache.signature(settings) == before                # the data did not
    assert cache.tables(cache.signature(settings)) is tables  # nothing recomputed
    assert "Relance téléphonique" in set(log(dbpath)["valeur"])   # and the note is there
    with db.connect(path=dbpath) as con:                     # another process's write
        con.execute("UPDATE ref_collectivite SET nom = 'Blagnac (nouveau nom)' WHERE siren = ?",
                    [BLAGNAC])
    assert cache.signature(settings) != before


def test_a_write_of_the_model_from_a_page_gets_new_cached_data(dbpath, settings):
    """``writing(user_work=False)`` (a matching decision) and two writes overlapping in
    the process never keep the key: only a lone write of user tables does."""
    from odlab_compliance.ui import cache

    notes = iter(range(10))

    def write(user_work: bool, inner=None) -> None:  # noqa: ANN001
        with cache.writing(settings, user_work=user_work) as opened, \
                db.connect(path=dbpath) as con:
            opened()
            if inner:
                inner()
            followup.record(con, [followup.Change(COLOMIERS, note=f"essai {next(notes)}")],
                            editor="a", origin="page")

    first = cache.signature(settings)
    write(user_work=False)
    second = cache.signature(settings)
    assert second != first
    write(user_work=True, inner=lambda: write(user_work=True))
    assert cache.signature(settings) != second
    third = cache.signature(settings)
    write(user_work=True)
    assert cache.signature(settings) == third


def test_saving_nothing_says_so_and_writes_nothing(dbpath, listen):
    """The save runs in the button's callback (one run draws the new state): what it
    cannot do is still said by the form, and nothing is written."""
    listen(True)
    at = run("suivi.py", territory="dep:31")
    before = len(log(dbpath))
    save_button(at).click()
    at.run()
    assert not at.exception
    assert any("Rien à enregistrer" in w.value for w in at.warning)
    assert len(log(dbpath)) == before
