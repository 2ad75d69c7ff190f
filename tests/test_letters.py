"""Letter templates (history, a refused typo), letters filled with each collectivité's
figures, the PDF (one page a letter), the ZIP of PDFs and the .eml files."""

from __future__ import annotations

import email
import io
import re
import subprocess
import zipfile
from email.policy import default

import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.errors import InputError
from odlab_compliance.ingest import contacts
from odlab_compliance.model.status import StatusModel
from odlab_compliance.outreach import letters, mailing
from odlab_compliance.present import letters as printed
from odlab_compliance.territory import Territory
from tests.conftest import require_tool
from tests.fixtures import annuaire
from tests.fixtures.dashboard import build_db

SENDER = letters.Sender(nom="Préfecture de la Haute-Garonne",
                        courriel="open-data@haute-garonne.gouv.fr",
                        reponse_a="mission@haute-garonne.gouv.fr",
                        correspondant="Mme Élodie Durand", telephone="05 34 45 34 45",
                        signature="Pour le préfet, la mission données ouvertes",
                        ville="Toulouse")


@pytest.fixture
def occitanie(settings):
    build_db.build(settings)
    with db.connect(settings) as con:
        entries = contacts.parse_entries(annuaire.for_reference(build_db.reference_rows()))
        contacts.store(con, contacts.match(entries, contacts.reference_for_matching(con)))
    return settings


def _letters(settings, code: str, sirens: list[str], workshop: dict | None = None):
    with db.connect(settings) as con:
        model = StatusModel.from_connection(con)
        at = model.status_at(Territory.from_cli("reg:76"), "legal")
        return printed.gather(con, model, at, sirens, letters.current(con, code), SENDER,
                              workshop=workshop)


def test_templates_keep_their_history_and_refuse_an_unknown_variable(settings):
    with db.connect(settings) as con:
        assert letters.current(con, "relance").version == 0     # the default
        letters.save(con, "relance", "Relance {{ collectivite.nom }}", "Texte 1",
                     editor="agent")
        letters.save(con, "relance", "Relance : {{ collectivite.nom }}", "Texte 2",
                     editor="autre")
        t = letters.current(con, "relance")
        assert (t.version, t.corps, t.editeur) == (2, "Texte 2", "autre")
        assert letters.history(con, "relance")["corps"].tolist() == ["Texte 2", "Texte 1"]
        with pytest.raises(InputError) as err:
            letters.save(con, "relance", "{{ collectivite.nme }}", "x", editor="agent")
        assert "variable inconnue « nme »" in str(err.value)
        with pytest.raises(InputError) as err:
            letters.save(con, "relance", "ok", "{% if %}", editor="agent")
        assert "erreur de syntaxe ligne 1" in str(err.value)
        assert letters.current(con, "relance").version == 2    # nothing written
        assert letters.current(con, "invitation").version == 0


def test_a_template_cannot_reach_python_internals(settings):
    with db.connect(settings) as con, pytest.raises(InputError):
        letters.save(con, "relance", "{{ collectivite.__class__.__mro__ }}", "x",
                     editor="agent")


def test_each_letter_carries_its_own_figures(occitanie):
    out = {x.siren: x for x in _letters(occitanie, "relance", ["213101496", "213100696"])}
    colomiers = out["213101496"].corps
    assert "Colomiers (Commune, 40\u202f000 habitants)" in colomiers
    assert "données de plus de 12 mois" in colomiers           # why it is on the list
    assert "Mettre à jour les jeux anciens de plus d'un an : Équipements" in colomiers
    assert "Mme Élodie Durand au 05 34 45 34 45" in colomiers  # who to call
    blagnac = out["213100696"].corps
    assert "Blagnac (Commune, 26\u202f142 habitants)" in blagnac
    assert "jeux anciens" not in blagnac
    assert "qui manquent : Délibérations, Budget, Subventions, Marchés publics (DECP) et " \
           "8 autres." in blagnac
    assert out["213100696"].destinataire == "contact@blagnac.fr"


def test_letters_pdf_one_page_each_zip_and_eml(occitanie, tmp_path):
    require_tool("pdfinfo")
    ws = {"titre": "Publier ses données en Occitanie", "date_atelier": "2027-01-12",
          "lieu_nom": "Toulouse"}
    out = _letters(occitanie, "invitation", ["213101496", "213100696", "243100518"], ws)
    assert out[0].objet == ("Invitation : atelier « Publier ses données en Occitanie » le "
                            "12 janvier 2027")
    pdf = tmp_path / "courriers.pdf"
    pdf.write_bytes(printed.pdf(out, SENDER))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+3$", info, re.M), info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True).stdout
    pages = text.split("\f")
    assert "Colomiers" in pages[0] and "Blagnac" in pages[1] and "Toulouse Métropole" in pages[2]
    assert "Objet : Invitation : atelier" in pages[0] and "salutations" in pages[0]
    with zipfile.ZipFile(io.BytesIO(printed.zip_pdfs(out, SENDER))) as zf:
        assert zf.namelist() == ["invitation-213101496-colomiers.pdf",
                                 "invitation-213100696-blagnac.pdf",
                                 "invitation-243100518-toulouse-metropole.pdf"]
    msg = email.message_from_bytes(mailing.eml(out[0], SENDER), policy=default)
    assert msg["Subject"] == out[0].objet and msg["To"].addresses[0].addr_spec == \
        "contact@colomiers.fr"
    assert msg["From"].addresses[0].display_name == "Préfecture de la Haute-Garonne"
    assert "Nous avons le plaisir d'inviter Colomiers" in msg.get_content()


def test_a_long_letter_still_fits_one_page(occitanie, tmp_path):
    require_tool("pdfinfo")
    with db.connect(occitanie) as con:
        letters.save(con, "relance", "Objet", "{{ collectivite.nom }}\n\n"
                     + "\n\n".join(["Un long paragraphe qui se répète. " * 12] * 9)
                     + "\n\n{{ signature }}",
                     editor="agent")
    out = _letters(occitanie, "relance", ["213101496"])
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(printed.pdf(out, SENDER))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Pour le préfet, la mission données ouvertes" in text   # nothing cut off


def test_cli_letters_and_eml(occitanie, tmp_path, capsys):
    target = tmp_path / "relances.zip"
    assert main(["mail", "letters", "--modele", "relance", "--territory", "dep:31",
                 "--liste", "retard", "-o", str(target)]) == 0
    with zipfile.ZipFile(target) as zf:
        assert len(zf.namelist()) >= 5
    folder = tmp_path / "eml"
    assert main(["mail", "eml", "--modele", "relance", "--territory", "dep:31",
                 "--liste", "retard", "-o", str(folder)]) == 0
    files = sorted(folder.glob("*.eml"))
    assert files and all(f.read_bytes().startswith(b"From:") or b"\r\nFrom:" in
                         f.read_bytes() for f in files)
    assert main(["mail", "letters", "--modele", "invitation", "--territory", "dep:31",
                 "-o", str(tmp_path / "x.pdf")]) == 2
    assert "ajoutez --atelier ID" in capsys.readouterr().err


def test_congratulations_go_to_those_that_started_publishing(occitanie):
    with db.connect(occitanie) as con:
        model = StatusModel.from_connection(con)
        at = model.status_at(Territory.from_cli("reg:76"), "legal")
        assert printed.selection(con, at, printed.LIST_PUBLIE, model=model) == ["213101496"]
        # without a previous snapshot to compare: every publisher
        everyone = printed.selection(con, at, printed.LIST_PUBLIE)
    assert "213105554" in everyone and "213101496" in everyone


def test_letters_sent_by_post_are_recorded_all_or_nothing(occitanie):
    from odlab_compliance import vocab
    from odlab_compliance.outreach import followup

    out = _letters(occitanie, "relance", ["213101496", "213100696"])
    with db.connect(occitanie) as con:
        with pytest.raises(InputError):   # an editor of the Ariège cannot record these
            mailing.record_postal(con, out, editor="agent09", origin="page",
                                  allowed={"210901225"}, scope="dep:09")
        assert followup.log(con).empty
        assert mailing.record_postal(con, out, editor="agent", origin="page") == 2
        log = followup.log(con)
        state = followup.state(con).set_index("siren")
    notes = log[log["champ"].eq("note")]["valeur"].tolist()
    assert all(n.startswith("Courrier « Relance » envoyé par la poste le ") for n in notes)
    assert (state.loc[["213101496", "213100696"], "etape"] == vocab.ETAPE_CONTACTEE).all()
