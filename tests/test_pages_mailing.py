"""AppTest of the Courriers page and of the contacts on the sheet, Suivi and Atelier, on
the dashboard's fixture database with the Annuaire loaded: preview, downloads, template
editing, sending to a real SMTP server by an editor, nobody else."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from odlab_compliance import db
from odlab_compliance.ingest import contacts
from odlab_compliance.outreach import followup
from tests.fixtures import annuaire
from tests.fixtures.dashboard import build_db
from tests.smtpserver import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
BLAGNAC, COLOMIERS = "213100696", "213101496"


@pytest.fixture
def occitanie(settings, monkeypatch):
    build_db.build(settings)
    with db.connect(settings) as con:
        records = annuaire.for_reference(build_db.reference_rows(), without_email={BLAGNAC})
        entries = contacts.parse_entries(records)
        contacts.store(con, contacts.match(entries, contacts.reference_for_matching(con)))
        followup.record(con, [followup.Change(COLOMIERS, contact="M. Petit, DGS, "
                                                                 "dgs@ville-colomiers.fr")],
                        editor="agent", origin="page")
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "0")
    return settings


def smtp_secrets(port: int) -> dict:
    return {"odlab_smtp": {"host": "127.0.0.1", "port": port, "securite": "aucune"},
            "odlab_courrier": {"nom": "Préfecture de la Haute-Garonne",
                               "courriel": "open-data@haute-garonne.gouv.fr",
                               "reponse_a": "mission@haute-garonne.gouv.fr",
                               "correspondant": "Mme Élodie Durand",
                               "telephone": "05 34 45 34 45"}}


def run(page: str, secrets: dict | None = None, territory: str = "dep:31", **params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    at.query_params["t"] = territory
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"pages/{page}")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    return "\n".join([*(m.value for m in at.markdown), *(c.value for c in at.caption),
                      *(t.value for t in at.text), *(c.value for c in at.code),
                      *(i.value for i in at.info)])


def test_courriers_page_previews_each_letter_and_offers_the_files(occitanie):
    at = run("courriers.py")
    body = texts(at)
    assert "courrier(s)** pour obligées en retard" in body
    assert "Objet : Ouverture des données publiques de" in body
    assert "Madame, Monsieur," in body
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Courriers (PDF)", "Un PDF par collectivité (ZIP)",
                      "Courriels (.eml, ZIP)"]
    # Colomiers: the contact typed in Suivi wins, and the page says so
    at.selectbox(key="courriers_preview").select(COLOMIERS).run()
    assert "À : dgs@ville-colomiers.fr — contact saisi dans le suivi (prioritaire sur " \
           "l'annuaire)" in texts(at).replace("\\", "")   # shown escaped (markdown)
    # nobody signed in: no sending
    assert "Lecture seule" in texts(at)
    assert not [b for b in at.button if b.label == "Envoyer les courriels"]


def test_an_editor_sends_from_the_page_and_the_log_shows_it(occitanie, monkeypatch):
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")
    smtp = SmtpServer().start()
    try:
        at = run("courriers.py", smtp_secrets(smtp.port))
        at.number_input(key="courriers_pace").set_value(600)
        next(b for b in at.button if b.label == "Envoyer les courriels").click().run()
        assert not at.exception, [e.message for e in at.exception]
        got = smtp.sirens()
    finally:
        smtp.stop()
    assert got and BLAGNAC not in got and len(got) == len(set(got))
    assert COLOMIERS in got
    assert any("Campagne « relance-dep-31-" in s.value for s in at.warning) or \
        any("Campagne « relance-dep-31-" in s.value for s in at.success)
    with db.connect(occitanie) as con:
        notes = followup.log(con).query("champ == 'note'")
    assert COLOMIERS in set(notes["siren"])
    assert notes[notes["siren"].eq(COLOMIERS)]["origine"].iloc[0].startswith("page")


def test_an_editor_edits_a_template_and_a_typo_is_refused(occitanie, monkeypatch):
    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")
    at = run("courriers.py")
    at.text_input(key="courriers_objet_relance_0").set_value("Relance : {{ collectivite.nme }}")
    next(b for b in at.button if b.label == "Enregistrer une nouvelle version").click().run()
    assert any("variable inconnue « nme »" in e.value for e in at.error)
    at.text_input(key="courriers_objet_relance_0").set_value(
        "Données ouvertes de {{ collectivite.nom }} : relance")
    next(b for b in at.button if b.label == "Enregistrer une nouvelle version").click().run()
    assert not at.exception
    assert "Objet : Données ouvertes de" in texts(at)


def test_the_sheet_shows_the_contact_and_says_which_wins(occitanie):
    at = run("fiche.py", siren=COLOMIERS)
    body = texts(at)
    assert "**Contact saisi dans le suivi** (prioritaire sur l'annuaire) : M. Petit, DGS, " \
           "dgs@ville\\-colomiers.fr" in body or \
           "**Contact saisi dans le suivi** (prioritaire sur l'annuaire)" in body
    assert "**Annuaire de l'administration** : Mairie \\- Colomiers" in body
    at = run("fiche.py", siren=BLAGNAC)
    assert "Pas d'adresse électronique dans l'annuaire." in texts(at)


def test_suivi_lists_the_address_and_its_source(occitanie):
    at = run("suivi.py")
    table = next(d for d in at.dataframe if "contact_origine" in d.value.columns)
    df = table.value.set_index("siren")
    assert df.at[COLOMIERS, "courriel"] == "dgs@ville-colomiers.fr"
    assert df.at[COLOMIERS, "contact_origine"].startswith("contact saisi dans le suivi")
    assert df.at[COLOMIERS, "contact"] == "M. Petit, DGS, dgs@ville-colomiers.fr"
    assert df.at["213100440", "contact_origine"].startswith("Annuaire")
    assert df.at["213100440", "courriel"] == "contact@balma.fr"
    assert not df.at["213100440", "contact"]   # nothing typed: stays empty
    assert any(e.label.startswith("Écrire aux collectivités de la liste affichée")
               for e in at.expander)


def test_atelier_invitations_carry_the_annuaire_contact_where_none_was_typed(occitanie):
    at = run("atelier.py")
    at.selectbox(key="atelier_venue").select("31555")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    cohort = at.dataframe[0].value.set_index("Nom")
    assert len(cohort) >= 2, cohort
    contacts_shown = cohort["Contact"].tolist()
    assert all(c.endswith(" (annuaire)") for c in contacts_shown if c), contacts_shown
    from odlab_compliance.identifiers import siren_problem

    first = next(n for n in cohort.index if siren_problem(cohort.at[n, "SIREN"]) is None)
    siren = cohort.at[first, "SIREN"]
    with db.connect(occitanie) as con:   # typed in Suivi: shown as typed, first
        followup.record(con, [followup.Change(siren, contact="Mme Roux, 05 61 00 11 22")],
                        editor="agent", origin="page")
    at = run("atelier.py")
    at.selectbox(key="atelier_venue").select("31555")
    at.run()
    cohort = at.dataframe[0].value.set_index("Nom")
    assert cohort.at[first, "Contact"] == "Mme Roux, 05 61 00 11 22"
