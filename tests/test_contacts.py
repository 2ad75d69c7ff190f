"""Official contacts from the Annuaire de l'administration: the export's layout, the
matching to collectivités, the download from a local server playing
api-lannuaire.service-public.gouv.fr, the list of collectivités without an e-mail, and the
coverage on the mirror's national reference with a stand-in Annuaire."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.ingest import contacts
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.letters import SOURCE_ANNUAIRE, SOURCE_SUIVI, choose_contact
from tests.fixtures import annuaire
from tests.fixtures.dashboard import build_db
from tests.httpserver import Reply

REF = pd.DataFrame([
    {"siren": "213103955", "type": "COM", "code_insee": "31395", "departement": "31",
     "region": "76"},
    {"siren": "213100696", "type": "COM", "code_insee": "31069", "departement": "31",
     "region": "76"},
    {"siren": "200083392", "type": "CA", "code_insee": "200083392", "departement": "31",
     "region": "76"},
    {"siren": "223100017", "type": "DEP", "code_insee": "31", "departement": "31",
     "region": "76"},
    {"siren": "200053791", "type": "REG", "code_insee": "76", "departement": None,
     "region": "76"},
])


def test_an_entry_is_read_in_the_published_layout():
    rec = annuaire.entry("Mairie - Muret", "mairie", "31395", "21310395500016",
                         "accueil@mairie-muret.fr ; dgs@mairie-muret.fr", "05 61 51 95 95",
                         "https://www.mairie-muret.fr",
                         ("Place Charles de Gaulle", "31600", "Muret"))
    decoded = {**rec, "pivot": json.loads(rec["pivot"]),
               "telephone": json.loads(rec["telephone"])}   # records API: already JSON
    caf = annuaire.entry("CAF de la Haute-Garonne", "caf", "31555", "53400000000011", "a@b.fr")
    df = contacts.parse_entries([rec, decoded, caf])
    assert len(df) == 2   # the CAF is not a collectivité
    for r in df.to_dict("records"):
        assert r["type_service"] == "mairie" and r["code_insee_commune"] == "31395"
        assert r["siren_annuaire"] == "213103955"
        assert r["courriel"] == "accueil@mairie-muret.fr"
        assert r["telephone"] == "05 61 51 95 95"
        assert r["adresse"] == "Place Charles de Gaulle, 31600 Muret"
        assert r["site_internet"] == "https://www.mairie-muret.fr"


def test_a_broken_address_is_kept_raw_but_not_usable():
    rec = annuaire.entry("Mairie - Blagnac", "mairie", "31069", "", "mairie@blagnac")
    r = contacts.parse_entries([rec]).iloc[0]
    assert r["courriel"] is None and r["courriel_brut"] == "mairie@blagnac"
    c = choose_contact({"nom": "Mairie - Blagnac", "courriel": None,
                        "courriel_brut": "mairie@blagnac"}, None)
    assert c.probleme == "adresse « mairie@blagnac » invalide (domaine) (annuaire)"


def test_each_entry_matches_its_collectivite():
    entries = contacts.parse_entries([
        # main mairie found by its INSEE code (no SIRET), an annexe with a SIRET
        annuaire.entry("Mairie - Muret", "mairie", "31395", "", "accueil@muret.fr"),
        annuaire.entry("Mairie annexe - Muret Estantens", "mairie", "31395",
                       "21310395500099", "annexe@muret.fr", modified="2026-11-30"),
        # a SIRET pointing to a commune, the INSEE code of another: SIRET wins
        annuaire.entry("Mairie - Blagnac", "mairie", "99999", "21310069600011",
                       "mairie@blagnac.fr"),
        annuaire.entry("Le Muretain Agglo", "epci", "31395", "20008339200012", "agglo@x.fr"),
        # conseil départemental without SIRET: its seat's département
        annuaire.entry("Conseil départemental - Haute-Garonne", "cg", "31395", "",
                       "cd31@x.fr"),
        annuaire.entry("Conseil régional - Occitanie", "cr", None, "20005379100011",
                       "region@x.fr"),
        # an EPCI SIRET given to a mairie: not matched to the wrong type
        annuaire.entry("Mairie - Nulle part", "mairie", "00000", "20008339200012", "n@x.fr"),
    ])
    m = contacts.match(entries, REF).set_index("siren")
    assert m.at["213103955", "courriel"] == "accueil@muret.fr"    # not the annexe
    assert m.at["213103955", "appariement"] == "code_insee"
    assert m.at["213100696", "appariement"] == "siret"
    assert m.at["200083392", "courriel"] == "agglo@x.fr"
    assert (m.at["223100017", "appariement"], m.at["223100017", "courriel"]) == ("siege",
                                                                                "cd31@x.fr")
    assert m.at["200053791", "appariement"] == "siret"
    assert len(m) == 5


def test_the_contact_typed_in_suivi_takes_precedence_and_says_so():
    official = {"nom": "Mairie - Muret", "courriel": "accueil@muret.fr",
                "telephone": "05 61 51 95 95", "adresse": "Place Charles de Gaulle"}
    c = choose_contact(official, "Mme Durand (DGS), Durand.DGS@Mairie-Muret.fr")
    assert (c.courriel, c.origine, c.telephone) == ("durand.dgs@mairie-muret.fr",
                                                    SOURCE_SUIVI, "05 61 51 95 95")
    assert "prioritaire sur l'annuaire" in c.origine_libelle
    # a typed name without an address: the Annuaire's address still serves
    c = choose_contact(official, "Mme Durand")
    assert (c.nom, c.courriel, c.probleme) == ("Mme Durand", "accueil@muret.fr", None)
    c = choose_contact(official, None)
    assert (c.courriel, c.origine) == ("accueil@muret.fr", SOURCE_ANNUAIRE)
    assert choose_contact(None, None).probleme.startswith("aucun contact")
    assert "contacts update" not in choose_contact(None, None).probleme   # a person reads it


def test_update_downloads_the_export_and_a_failure_keeps_the_previous_contacts(
        settings, server, monkeypatch, tmp_path, capsys):
    build_db.build(settings)
    ref = build_db.reference_rows()
    server.add(annuaire.PATH, Reply.json(annuaire.for_reference(ref, without_email={
        "213100696"})), Reply(500, b"erreur"))
    monkeypatch.setenv("ODLAB_BASE_URL_ANNUAIRE", server.url)
    assert main(["contacts", "update", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "16 collectivités appariées, dont 15 avec une adresse électronique" in out
    asked = server.requests[0]
    assert asked.path == annuaire.PATH and "adresse_courriel" in asked.arg("select")
    with db.connect(settings) as con:
        before = contacts.official(con)
    assert len(before) == 16
    assert main(["contacts", "update", "--quiet"]) == 2      # the host answers 500
    assert "Annuaire de l'administration" in capsys.readouterr().err
    with db.connect(settings) as con:
        after = contacts.official(con)
    pd.testing.assert_frame_equal(before, after)
    # the list of obliged collectivités without an e-mail
    target = tmp_path / "sans-courriel.csv"
    assert main(["contacts", "missing", "--territory", "dep:31", "-o", str(target)]) == 0
    rows = pd.read_csv(target, sep=";", dtype=str, encoding="utf-8-sig")
    assert rows["Nom"].tolist() == ["Blagnac"]
    assert rows["Pourquoi pas de courriel"].tolist() == [
        "aucune adresse électronique dans l'annuaire"]
    # a contact typed in Suivi fills the gap
    with db.connect(settings) as con:
        followup.record(con, [followup.Change("213100696", contact="dgs@blagnac.fr")],
                        editor="agent", origin="page")
    assert main(["contacts", "coverage", "--territory", "dep:31"]) == 0
    assert "ont une adresse électronique (100,0\u202f%)" in capsys.readouterr().out


def test_coverage_on_the_national_reference_with_a_stand_in_annuaire(
        national_home, mirror_dir, tmp_path, server, monkeypatch, capsys):
    """The mirror holds no Annuaire: the stand-in has one entry per collectivité of the
    COG, one in nine without an address. What this measures is the matching at national
    scale (every obliged collectivité found), not the real share of addresses."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(national_home / "odlab.duckdb", home / "odlab.duckdb")
    for k in [k for k in list(__import__("os").environ) if k.startswith("ODLAB_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("ODLAB_HOME", str(home))
    records = annuaire.from_mirror(mirror_dir)
    server.add(annuaire.PATH, Reply(200, json.dumps(records).encode(),
                                    {"Content-Type": "application/json"}))
    monkeypatch.setenv("ODLAB_BASE_URL_ANNUAIRE", server.url)
    assert main(["contacts", "update", "--quiet"]) == 0
    print(capsys.readouterr().out)
    with db.connect(load_settings()) as con:
        stored = contacts.official(con)
        ref = contacts.reference_for_matching(con)
    sirens_with_entry = {r["siren"] for r in records}
    matched = set(stored["siren"])
    communes = set(ref[ref["type"].eq("COM")]["siren"])
    # every current commune of the reference that has an entry is matched
    assert (communes & sirens_with_entry) <= matched
    assert main(["contacts", "coverage", "--territory", "dep:31", "--rule", "odf"]) == 0
    out = capsys.readouterr().out
    print(out)
    assert "collectivités obligées sur 83 ont une adresse électronique" in out


@pytest.mark.parametrize("text, problem", [
    ("a@b.fr", None), ("mairie@blagnac", "domaine"), ("a b@c.fr", "espace"),
    ("a@@c.fr", "un seul @"), (".a@c.fr", "partie avant @"), ("", "aucune adresse")])
def test_address_problems(text, problem):
    from odlab_compliance.emails import address_problem

    found = address_problem(text)
    assert (found is None) if problem is None else (problem in found)
