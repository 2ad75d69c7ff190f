"""Matching publishers to collectivités: SIRET, name + type + territory, sanity flags,
human decisions (ledger, CLI) that survive harvests and reference updates."""

from __future__ import annotations

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.identifiers import is_valid_siret, luhn_ok
from odlab_compliance.ingest.harvest.portals import Portal
from odlab_compliance.ingest.matching import (
    MATCH_COLUMNS,
    build_reference,
    match_all,
    normalize_name,
    parse_name,
)
from odlab_compliance.model.matching import (
    counted,
    current_decisions,
    load_decisions,
    match_publishers,
    pending,
    record_decision,
)


def siren(prefix8: str) -> str:
    """A SIREN with a valid control key."""
    return next(prefix8 + str(d) for d in range(10) if luhn_ok(prefix8 + str(d)))


def siret(siren9: str) -> str:
    return next(f"{siren9}{n:05d}" for n in range(10, 100) if is_valid_siret(f"{siren9}{n:05d}"))


ACIGNE, RENNES_MET, ILLE = siren("21350001"), siren("24350013"), siren("22350001")
GIRONDE, BRETAGNE, CC_VAL = siren("22330001"), siren("23350001"), siren("20003923")
STDENIS_93, STDENIS_974 = siren("21930066"), siren("21974041")
SYNDICAT = siren("25350123")

COLLECTIVITES = pd.DataFrame([
    (ACIGNE, "Acigné", "COM", "35", "53"),
    (RENNES_MET, "Rennes Métropole", "MET", "35", "53"),
    (ILLE, "Ille-et-Vilaine", "DEP", "35", "53"),
    (GIRONDE, "Gironde", "DEP", "33", "75"),
    (BRETAGNE, "Bretagne", "REG", None, "53"),
    (CC_VAL, "CC Val d'Ille-Aubigné", "CC", "35", "53"),
    (STDENIS_93, "Saint-Denis", "COM", "93", "11"),
    (STDENIS_974, "Saint-Denis", "COM", "974", "04"),
    (siren("23974001"), "La Réunion", "REG", None, "04"),
], columns=["siren", "nom", "type", "departement", "region"])

NO_DECISIONS = pd.DataFrame(columns=["publisher_id", "siren", "decision", "seq"])


def pubs(*rows: tuple) -> pd.DataFrame:
    """(source, publisher_id, name, siret, platform_id) rows as PublisherRecord fields."""
    return pd.DataFrame([{"source": r[0], "publisher_id": r[1], "name": r[2],
                          "siret": r[3] if len(r) > 3 else None,
                          "platform_id": r[4] if len(r) > 4 else None,
                          "url": None, "badges": [], "nb_datasets": 1} for r in rows])


def one(df: pd.DataFrame, pid: str) -> dict:
    rows = df[df["publisher_id"] == pid].to_dict("records")
    assert len(rows) == 1, rows
    return rows[0]


def test_names_are_normalised():
    assert normalize_name("Commune d'Acigné") == "commune d acigne"
    assert parse_name("Commune d'Acigné").core == "acigne"
    assert parse_name("Commune d'Acigné").type_hint == "COM"
    assert parse_name("Département de l'Ille-et-Vilaine").core == "ille et vilaine"
    assert parse_name("Conseil départemental de la Gironde").type_hint == "DEP"
    assert parse_name("Communauté de communes Val d'Ille-Aubigné").type_hint == "CC"
    a, b = parse_name("Rennes Métropole"), parse_name("Métropole de Rennes")
    assert (a.core, a.type_hint) == (b.core, b.type_hint) == ("rennes", "MET")
    assert parse_name("Mairie de St-Denis (93)").dep_hint == "93"
    assert parse_name("Mairie de St-Denis (93)").core == "saint denis"
    irve = parse_name("Mairie de Paris (IRVE)")
    assert (irve.core, irve.type_hint, irve.dep_hint, irve.qualifiers) == \
        ("paris", "COM", None, ("irve",))
    def triple(text: str) -> tuple:
        p = parse_name(text)
        return p.core, p.type_hint, p.dep_hint

    assert triple("CA du Grand Angoulême") == ("grand angouleme", "CA", None)
    assert triple("CD25") == ("", "DEP", "25")
    assert triple("ASPREMONT(05)") == ("aspremont", None, "05")
    assert parse_name("Rennes Métropole - Open data").core == "rennes"


def test_siret_match_first():
    df = match_publishers(pubs(("datagouv", "org-acigne", "Ville d'Acigné", siret(ACIGNE))),
                          COLLECTIVITES, NO_DECISIONS)
    assert list(df.columns) == MATCH_COLUMNS
    row = one(df, "org-acigne")
    assert (row["siren"], row["method"], row["confidence"], row["decision"], row["flags"]) == \
        (ACIGNE, "siret", 1.0, "auto", "")


def test_name_match_with_confidence_and_territory():
    rennes_portal = Portal(id="data-rennes", name="Data Rennes Métropole",
                           url="https://data.rennesmetropole.fr", technology="opendatasoft",
                           hosted_sirens=(RENNES_MET, ACIGNE), shared=True, region="53")
    df = match_publishers(pubs(
        ("portal", "data-rennes:Commune d'Acigné", "Commune d'Acigné", None, "data-rennes"),
        ("portal", "data-rennes:Rennes Métropole", "Rennes Métropole", None, "data-rennes"),
        ("datagouv", "org-ille", "Département d'Ille-et-Vilaine"),
        ("datagouv", "org-gironde", "Conseil départemental de la Gironde"),
        ("datagouv", "org-val", "Communauté de communes Val d'Ille - Aubigné"),
        ("datagouv", "org-sd", "Ville de Saint-Denis"),
        ("datagouv", "org-sd93", "Mairie de Saint-Denis (93)"),
        ("datagouv", "org-sd-reunion", "Commune de Saint-Denis La Réunion"),
        ("datagouv", "org-x", "Association des amis du vélo"),
    ), COLLECTIVITES, NO_DECISIONS, portals=[rennes_portal])
    acigne = one(df, "data-rennes:Commune d'Acigné")
    assert acigne["siren"] == ACIGNE and acigne["method"] == "nom"
    assert acigne["confidence"] == 1.0 and acigne["flags"] == ""
    assert one(df, "data-rennes:Rennes Métropole")["siren"] == RENNES_MET
    assert one(df, "org-ille")["siren"] == ILLE and one(df, "org-ille")["confidence"] >= 0.8
    assert one(df, "org-gironde")["siren"] == GIRONDE
    val = one(df, "org-val")
    assert val["siren"] == CC_VAL and 0.8 <= val["confidence"] <= 1.0
    # two communes named Saint-Denis: the bare name is ambiguous and left for review ...
    sd = one(df, "org-sd")
    assert "homonymes" in sd["flags"] and sd["confidence"] < 0.8
    # ... a département code settles it
    sd93 = one(df, "org-sd93")
    assert sd93["siren"] == STDENIS_93 and sd93["flags"] == "" and sd93["confidence"] >= 0.9
    sd974 = one(df, "org-sd-reunion")
    assert sd974["siren"] == STDENIS_974 and sd974["flags"] == ""
    assert "org-x" not in set(df["publisher_id"])
    assert set(pending(df)["publisher_id"]) >= {"org-sd"}


def test_wrong_siret_is_flagged():
    # a CC that declared the SIRET of one of its communes: both the SIRET's commune and
    # the body the name designates are proposed, and neither counts until someone decides
    df = match_publishers(pubs(
        ("datagouv", "org-cc", "Communauté de communes Val d'Ille-Aubigné", siret(ACIGNE))),
        COLLECTIVITES, NO_DECISIONS)
    rows = df.set_index("siren")
    assert set(rows.index) == {ACIGNE, CC_VAL}
    assert rows.loc[ACIGNE, "method"] == "siret" and rows.loc[CC_VAL, "method"] == "nom"
    assert all("siret_nom_incoherent" in f for f in rows["flags"])
    assert (rows["confidence"] < 0.8).all()
    assert len(pending(df)) == 2 and not counted(df).any()


def test_shared_siret_is_flagged_on_each_organisation():
    df = match_publishers(pubs(
        ("datagouv", "org-a", "Rennes Métropole", siret(RENNES_MET)),
        ("datagouv", "org-b", "Rennes Métropole - Open data", RENNES_MET),
        ("datagouv", "org-c", "Ville d'Acigné", siret(ACIGNE)),
    ), COLLECTIVITES, NO_DECISIONS)
    assert "siret_partage" in one(df, "org-a")["flags"]
    assert "siret_partage" in one(df, "org-b")["flags"]
    assert one(df, "org-c")["flags"] == ""


def test_invalid_or_outside_sirets():
    df = match_publishers(pubs(
        ("datagouv", "org-bad", "Commune d'Acigné", "21350001099999"),
        ("datagouv", "org-syndicat", "Syndicat des eaux", siret(SYNDICAT)),
        ("datagouv", "org-brou", "Acigné", siret(siren("85235658"))),
    ), COLLECTIVITES, NO_DECISIONS)
    bad = one(df, "org-bad")
    # an invalid SIRET is only worth knowing: the name settles it and the match counts
    assert bad["method"] == "nom" and bad["siren"] == ACIGNE and "siret_invalide" in bad["flags"]
    assert counted(df[df["publisher_id"] == "org-bad"]).all()
    # a syndicat with its own SIREN is not a collectivité: no match, its kind is said
    assert "org-syndicat" not in set(df["publisher_id"])
    _, classes = match_all(pubs(("datagouv", "org-syndicat", "Syndicat des eaux",
                                 siret(SYNDICAT))), build_reference(COLLECTIVITES))
    assert classes.loc[0, "categorie"] == "syndicat"
    # a SIREN that is no collectivité's, with a collectivité's exact name: for review
    brou = one(df, "org-brou")
    assert brou["siren"] == ACIGNE and "siren_hors_referentiel" in brou["flags"]
    assert not counted(df[df["publisher_id"] == "org-brou"]).any()


# --- names that contain a département or région name ------------------------------------

CHAMPIGNY, ANGERS_LM, TOURS_MET = siren("21940017"), siren("24490001"), siren("24370001")
VIENNE_COM, VIENNE_DEP, MARNE, MAINE = (siren("21380544"), siren("22860001"),
                                        siren("22510001"), siren("22490001"))
CHALONS, LOIRE = siren("21510108"), siren("22420001")
WITH_PLACES = pd.DataFrame([
    (CHAMPIGNY, "Champigny-sur-Marne", "COM", "94", "11", "94017"),
    (siren("21510105"), "Champigny", "COM", "51", "44", "51105"),
    (ANGERS_LM, "CU Angers Loire Métropole", "CU", "49", "52", "244900015"),
    (TOURS_MET, "Tours Métropole Val de Loire", "MET", "37", "24", "243700754"),
    (VIENNE_COM, "Vienne", "COM", "38", "84", "38544"),
    (VIENNE_DEP, "Vienne", "DEP", "86", "75", "86"),
    (MARNE, "Marne", "DEP", "51", "44", "51"),
    (MAINE, "Maine-et-Loire", "DEP", "49", "52", "49"),
    (siren("22940001"), "Val-de-Marne", "DEP", "94", "11", "94"),
    (siren("22380001"), "Isère", "DEP", "38", "84", "38"),
    (LOIRE, "Loire", "DEP", "42", "84", "42"),
    (siren("22370001"), "Indre-et-Loire", "DEP", "37", "24", "37"),
    (CHALONS, "Châlons-en-Champagne", "COM", "51", "44", "51108"),
], columns=["siren", "nom", "type", "departement", "region", "code_insee"])


@pytest.mark.parametrize("name,declared,expected", [
    ("Ville de Champigny-sur-Marne", None, CHAMPIGNY),
    ("Champigny-sur-Marne", "SIRET", CHAMPIGNY),
    ("Angers Loire Métropole", None, ANGERS_LM),
    ("Angers Loire Métropole", "SIRET", ANGERS_LM),
    ("Tours Métropole Val de Loire", None, TOURS_MET),
    ("Tours Métropole Val de Loire", "SIRET", TOURS_MET),
    ("Ville de Vienne", None, VIENNE_COM),
    ("Département de la Vienne", None, VIENNE_DEP),
    ("Conseil départemental de la Marne", None, MARNE),
    ("Mairie de Châlons-en-Champagne", None, CHALONS),
    ("Loire", "SIRET", LOIRE),
])
def test_a_departement_name_inside_a_name_is_not_evidence_against_it(name, declared, expected):
    """471 of the 473 collectivités whose name holds a département or région name did not
    match their own name: "Marne" in "Champigny-sur-Marne" counted against it."""
    sirets = {CHAMPIGNY: siret(CHAMPIGNY), ANGERS_LM: siret(ANGERS_LM),
              TOURS_MET: siret(TOURS_MET), LOIRE: siret(LOIRE)}
    df = match_publishers(pubs(("datagouv", "org", name,
                                sirets[expected] if declared else None)),
                          WITH_PLACES, NO_DECISIONS)
    row = one(df, "org")
    assert row["siren"] == expected and row["flags"] == ""
    assert counted(df).all()


def test_a_departement_name_outside_the_name_still_breaks_ties():
    df = match_publishers(pubs(("datagouv", "a", "Commune de Champigny (Marne)"),
                               ("datagouv", "b", "Mairie de Champigny"),
                               ("datagouv", "c", "Vienne")), WITH_PLACES, NO_DECISIONS)
    champigny = WITH_PLACES.loc[1, "siren"]
    assert one(df, "a")["siren"] == champigny and one(df, "a")["flags"] == ""
    # the exact name wins over a longer one that contains it
    assert one(df, "b")["siren"] == champigny
    # the commune and the département: nothing in the name tells them apart
    assert "homonymes" in one(df, "c")["flags"] and one(df, "c")["confidence"] < 0.8


# --- bodies that are not collectivités -------------------------------------------------------

@pytest.mark.parametrize("name,categorie", [
    ("Préfecture de la Gironde", "etat"),
    ("Secrétariat général pour les affaires régionales Bretagne", "etat"),
    ("DDTM d'Ille-et-Vilaine", "etat"),
    ("DREAL Bretagne", "etat"),
    ("Rectorat de Rennes", "etat"),
    ("SDIS 35", "sdis"),
    ("Syndicat mixte Mégalis Bretagne", "syndicat"),
    ("CCAS d'Acigné", "ccas"),
    ("Office de tourisme de Rennes", "etablissement_public"),
])
def test_a_state_service_with_a_collectivite_siret_is_queued_not_counted(name, categorie):
    """A data.gouv.fr organisation with the local-authority badge, a State service's name
    and a collectivité's SIRET used to be credited to it with full confidence."""
    pub = pubs(("datagouv", "org-etat", name, siret(ILLE)))
    rows, classes = match_all(pub, build_reference(COLLECTIVITES))
    assert classes.loc[0, "categorie"] == categorie
    row = one(rows, "org-etat")
    assert row["siren"] == ILLE and "non_collectivite" in row["flags"]
    assert not counted(rows).any() and len(pending(rows)) == 1
    # without a SIRET, no proposal at all: just "not a collectivité"
    rows, classes = match_all(pubs(("datagouv", "org-etat", name)),
                              build_reference(COLLECTIVITES))
    assert rows.empty and classes.loc[0, "categorie"] == categorie


def test_a_collectivite_named_like_a_body_word_is_still_a_collectivite():
    bus = siren("21620195")
    colls = pd.concat([COLLECTIVITES, pd.DataFrame(
        [(bus, "Bus", "COM", "62", "32")], columns=COLLECTIVITES.columns)])
    df = match_publishers(pubs(("datagouv", "o", "Mairie de Bus", siret(bus))), colls)
    assert one(df, "o")["siren"] == bus and counted(df).all()


def _decisions(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame([{"seq": i, "publisher_id": r[0], "siren": r[1], "decision": r[2]}
                         for i, r in enumerate(rows, start=1)])


def test_human_decisions_override_automatic_matches():
    publishers = pubs(("datagouv", "org-sd", "Ville de Saint-Denis"),
                      ("datagouv", "org-acigne", "Ville d'Acigné", siret(ACIGNE)),
                      ("datagouv", "org-gironde", "Conseil départemental de la Gironde"))
    auto = match_publishers(publishers, COLLECTIVITES, NO_DECISIONS)
    wrong = one(auto, "org-sd")["siren"]
    right = STDENIS_974 if wrong == STDENIS_93 else STDENIS_93
    decisions = _decisions(
        ("org-sd", right, "confirme"),
        ("org-acigne", ACIGNE, "confirme"), ("org-acigne", ACIGNE, "rejete"),  # last wins
        ("org-gironde", BRETAGNE, "ajoute"),
        ("org-absent", ILLE, "confirme"),   # publisher not in this harvest: waits
    )
    df = match_publishers(publishers, COLLECTIVITES, decisions)
    sd = df[df["publisher_id"] == "org-sd"].set_index("siren")
    assert sd.loc[right, "decision"] == "confirme" and sd.loc[right, "confidence"] == 1.0
    assert sd.loc[wrong, "decision"] == "rejete"
    assert "remplace_par_decision" in sd.loc[wrong, "flags"]
    assert one(df, "org-acigne")["decision"] == "rejete"
    gironde = df[df["publisher_id"] == "org-gironde"].set_index("siren")
    assert gironde.loc[GIRONDE, "decision"] == "auto"
    assert gironde.loc[BRETAGNE, "decision"] == "ajoute"
    assert gironde.loc[BRETAGNE, "method"] == "decision"
    assert "org-absent" not in set(df["publisher_id"])
    assert pending(df).empty or "org-sd" not in set(pending(df)["publisher_id"])


# --- the ledger and the CLI -----------------------------------------------------------------

def _load_reference(con) -> None:
    con.executemany(
        "INSERT INTO ref_collectivite (vintage, siren, code_insee, nom, type, departement, region)"
        " VALUES (2026, ?, ?, ?, ?, ?, ?)",
        [[s, s, n, t, d, r] for s, n, t, d, r in COLLECTIVITES.itertuples(index=False)])


def test_decisions_are_append_only_and_survive_reference_updates(settings):
    with db.connect(settings) as con:
        _load_reference(con)
        record_decision(con, "org-sd", STDENIS_93, "confirme", note="vu en mairie", auteur="alice")
        record_decision(con, "org-sd", STDENIS_93, "rejete", auteur="bob")
        record_decision(con, "org-x", ACIGNE, "ajoute", source="datagouv")
        with pytest.raises(ValueError, match="décision inconnue"):
            record_decision(con, "org-x", ACIGNE, "peut-etre")
        # a reference update drops and reloads ref_collectivite
        with db.transaction(con):
            con.execute("DELETE FROM ref_collectivite")
            _load_reference(con)
    with db.connect(settings) as con:  # reopened, migrations re-checked
        decisions = load_decisions(con)
    assert list(decisions["decision"]) == ["confirme", "rejete", "ajoute"]
    assert decisions.loc[0, "note"] == "vu en mairie" and decisions.loc[0, "auteur"] == "alice"
    assert decisions["decided_at"].notna().all()
    current = current_decisions(decisions).set_index("publisher_id")
    assert current.loc["org-sd", "decision"] == "rejete"


def _visible_snapshot(con, matches: list[tuple]) -> int:
    from odlab_compliance.ingest.harvest import journal
    run_id = journal.start_run(con, "harvest", ["datagouv"])
    for pid, name, siren_, method, conf, flags in matches:
        con.execute("INSERT INTO harvest_publisher (run_id, source, source_key, publisher_id, name)"
                    " VALUES (?, 'datagouv', 'datagouv', ?, ?)", [run_id, pid, name])
        con.execute("INSERT INTO harvest_match (run_id, source, publisher_id, siren, method,"
                    " confidence, decision, flags) VALUES (?, 'datagouv', ?, ?, ?, ?, 'auto', ?)",
                    [run_id, pid, siren_, method, conf, flags])
    journal.finish_run(con, run_id, "done")
    return run_id


def test_cli_records_and_lists_decisions(settings, capsys):
    with db.connect(settings) as con:
        _load_reference(con)
        _visible_snapshot(con, [
            ("org-sd", "Ville de Saint-Denis", STDENIS_93, "nom", 0.57, "homonymes"),
            ("org-acigne", "Ville d'Acigné", ACIGNE, "siret", 1.0, ""),
            ("org-cc", "CC Val d'Ille", ACIGNE, "siret", 0.5, "siret_nom_incoherent"),
        ])
    assert main(["match", "list", "--pending"]) == 0
    out = capsys.readouterr().out
    assert "org-sd" in out and "org-cc" in out and "org-acigne" not in out
    assert "le SIRET déclaré ne correspond pas au nom" in out

    assert main(["match", "confirm", "--publisher", "org-sd", "--siren", STDENIS_93,
                 "--note", "confirmé par téléphone", "--auteur", "alice"]) == 0
    assert "Saint-Denis" in capsys.readouterr().out
    assert main(["match", "reject", "--publisher", "org-cc", "--siren", ACIGNE,
                 "--auteur", "alice"]) == 0
    assert main(["match", "add", "--publisher", "org-cc", "--siren", CC_VAL,
                 "--source", "datagouv", "--auteur", "alice"]) == 0
    assert main(["match", "add", "--publisher", "org-cc", "--siren", "123"]) == 2
    assert "3 chiffres au lieu de 9" in capsys.readouterr().err

    assert main(["match", "list", "--pending"]) == 0
    assert capsys.readouterr().out.strip() == "(aucune ligne)"
    assert main(["match", "list"]) == 0
    out = capsys.readouterr().out
    assert "confirmé par téléphone" in out and "alice" in out and out.count("\n") == 4


def test_cli_help_is_french(capsys):
    with pytest.raises(SystemExit):
        main(["match", "confirm", "--help"])
    out = capsys.readouterr().out
    assert "--note" in out and "--auteur" in out and "SIREN de la collectivité" in out
