"""The matcher through every source, against a real database: an Observatoire edition
whose rows carry predecessors' and outdated SIRENs, human decisions applied to an
edition's snapshot (CLI), a dedicated portal whose publishers are other bodies (a real
harvest against a local Opendatasoft), and the matching report."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from odlab_compliance import db, vocab
from odlab_compliance.cli import main
from odlab_compliance.ingest.harvest import journal, save
from odlab_compliance.ingest.harvest.observatoire import read_edition
from odlab_compliance.ingest.harvest.records import SourceOutcome
from odlab_compliance.ingest.harvest.run import collectivites, run_harvest
from odlab_compliance.model import review, snapshots, status
from odlab_compliance.territory import FRANCE
from tests.fixtures.harvest.world import CD31, COLOMIERS, make_world
from tests.httpserver import Reply
from tests.test_matching import siren

# Two reference vintages written by hand (the shapes of ref_collectivite and
# ref_commune_ancienne): between 2020 and 2022 the commune of Chemeré (44040) merged into
# the commune nouvelle Chaumes-en-Retz (44005, new SIREN), and the CC du Pays de Retz
# merged into the CC Sud Retz Atlantique (new SIREN).
CHEMERE_OLD, CHAUMES = siren("21440040"), siren("20005812")
CC_OLD, CC_NEW = siren("24440046"), siren("20004340")
LAVAL_OLD, LAVAL_AGGLO, LAVAL = siren("24530033"), siren("20008339"), siren("21530130")
MACHECOUL, SARTHE = siren("20005813"), siren("22720001")
REF = [
    # vintage, siren, code_insee, nom, type, departement, region, epci_siren, population
    (2020, CHEMERE_OLD, "44040", "Chemeré", "COM", "44", "52", CC_OLD, 2000),
    (2020, MACHECOUL, "44087", "Machecoul-Saint-Même", "COM", "44", "52", CC_OLD, 7000),
    (2020, CC_OLD, CC_OLD, "CC du Pays de Retz", "CC", "44", "52", None, 9000),
    (2022, CHAUMES, "44005", "Chaumes-en-Retz", "COM", "44", "52", CC_NEW, 7000),
    (2022, MACHECOUL, "44087", "Machecoul-Saint-Même", "COM", "44", "52", CC_NEW, 7000),
    (2022, CC_NEW, CC_NEW, "CC Sud Retz Atlantique", "CC", "44", "52", None, 14000),
    (2022, LAVAL, "53130", "Laval", "COM", "53", "52", LAVAL_AGGLO, 50000),
    (2022, LAVAL_AGGLO, LAVAL_AGGLO, "CA Laval Agglomération", "CA", "53", "52", None, 110000),
    (2022, SARTHE, "72", "Sarthe", "DEP", "72", "52", None, 560000),
]
EDITION = """siren,nom,url_platform,id_datagouv,techno_platform
{chemere},CHEMERE,,5e5f6a1b634f4150a8e8d601,DataGouv
{cc_old},CC DU PAYS DE RETZ,,5e5f6a1b634f4150a8e8d602,DataGouv
{laval_old},CA DE LAVAL,,5e5f6a1b634f4150a8e8d603,DataGouv
852356583,MACHECOUL SAINT MEME,,5e5f6a1b634f4150a8e8d604,DataGouv
130011224,DDT DE LA SARTHE,,5e5f6a1b634f4150a8e8d605,DataGouv
{sarthe},SARTHE,,5e5f6a1b634f4150a8e8d606,DataGouv
790696009,EVEOLE,,5e5f6a1b634f4150a8e8d607,DataGouv
"""


def _edition_db(settings, tmp_path) -> None:
    """Both vintages, the former communes of 2022, and the edition imported as the
    import command writes it."""
    path = tmp_path / "observatoire-organisations-2022-12-31.csv"
    path.write_text(EDITION.format(chemere=CHEMERE_OLD, cc_old=CC_OLD, laval_old=LAVAL_OLD,
                                   sarthe=SARTHE), encoding="utf-8")
    edition = read_edition(path, "2022", platforms=[])
    with db.connect(settings) as con:
        con.executemany(
            "INSERT INTO ref_collectivite (vintage, siren, code_insee, nom, type, departement,"
            " region, epci_siren, population_totale, population_municipale, annee_population)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2019)", [[*r, r[-1]] for r in REF])
        con.execute("INSERT INTO ref_commune_ancienne (vintage, code, nom, nature, commune)"
                    " VALUES (2022, '44040', 'Chemeré', 'deleguee', '44005')")
        run_id = journal.start_run(con, vocab.KIND_OBSERVATOIRE, ["observatoire:2022"],
                                   snapshot_date=date(2022, 12, 31))
        save.save_observatoire(con, run_id, edition.reindex(columns=save.OBSERVATOIRE_COLUMNS),
                               SourceOutcome("observatoire:2022", ok=True, items=len(edition)))


def _statuses(settings) -> dict[str, str]:
    with db.connect(settings, read_only=True) as con:
        whole = status.StatusModel.from_connection(con).status_at(FRANCE, "odf").whole
    return dict(zip(whole["siren"], whole["statut"], strict=True))


def _report(settings) -> pd.DataFrame:
    with db.connect(settings, read_only=True) as con:
        return review.report(con).set_index("publisher_id")


def test_predecessors_and_outdated_sirens_in_an_edition_count_for_the_successor(
        settings, tmp_path):
    _edition_db(settings, tmp_path)
    st = _statuses(settings)
    # a merged commune's SIREN (2020 vintage) -> the commune nouvelle, by the history
    assert st[CHAUMES] == vocab.PUBLIE
    # a merged intercommunality's SIREN -> the one that holds its communes now
    assert st[CC_NEW] == vocab.PUBLIE
    # a SIREN no vintage knows, with a collectivité's prefix and name -> by the name
    assert st[LAVAL_AGGLO] == vocab.PUBLIE and st[LAVAL] == vocab.NON_PUBLIE
    # a company-like SIREN with a commune's name: proposed, not counted
    assert st[MACHECOUL] == vocab.NON_PUBLIE
    # a State service is not the département
    assert st[SARTHE] == vocab.PUBLIE   # through its own row only
    rep = _report(settings)
    assert rep.loc[f"observatoire:{CHEMERE_OLD}", "resultat"] == vocab.OUTCOME_SUCCESSION
    assert rep.loc[f"observatoire:{CC_OLD}", "resultat"] == vocab.OUTCOME_SUCCESSION
    assert rep.loc[f"observatoire:{LAVAL_OLD}", "resultat"] == vocab.OUTCOME_SUCCESSION
    assert rep.loc["observatoire:852356583", "resultat"] == vocab.OUTCOME_PENDING
    ddt = rep.loc["observatoire:130011224"]
    assert ddt["resultat"] == vocab.OUTCOME_NOT_COLLECTIVITE and ddt["categorie"] == "etat"
    assert rep.loc[f"observatoire:{SARTHE}", "resultat"] == vocab.OUTCOME_SIREN


def test_decisions_apply_to_an_editions_snapshot(settings, tmp_path, capsys):
    _edition_db(settings, tmp_path)
    assert main(["match", "list", "--pending"]) == 0
    out = capsys.readouterr().out
    assert "observatoire:852356583" in out and "MACHECOUL SAINT MEME" in out
    assert _statuses(settings)[MACHECOUL] == vocab.NON_PUBLIE
    # an editor confirms the pending row: the edition's snapshot counts it at once
    assert main(["match", "confirm", "--publisher", "observatoire:852356583",
                 "--siren", MACHECOUL, "--auteur", "alice"]) == 0
    assert _statuses(settings)[MACHECOUL] == vocab.PUBLIE
    assert _report(settings).loc["observatoire:852356583", "resultat"] == \
        vocab.OUTCOME_DECISION
    # and rejects an automatic one: the successor is no longer credited
    assert main(["match", "reject", "--publisher", f"observatoire:{CHEMERE_OLD}",
                 "--siren", CHAUMES, "--auteur", "alice"]) == 0
    assert _statuses(settings)[CHAUMES] == vocab.NON_PUBLIE
    capsys.readouterr()
    assert main(["match", "list", "--pending"]) == 0
    assert "852356583" not in capsys.readouterr().out


def test_match_report_cli_counts_and_exports_the_unmatched(settings, tmp_path, capsys):
    _edition_db(settings, tmp_path)
    out_csv = tmp_path / "non-rapproches.csv"
    assert main(["match", "report", "--snapshot", "2022-12-31", "--unmatched",
                 "--output", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "Observatoire open data des territoires : 7 éditeur(s)" in out
    lines = {line.split()[-1]: line for line in out.splitlines() if line.startswith("  ")}
    assert "Rapproché par succession" in out and "Pas une collectivité" in out
    assert any("Rapproché par succession" in v and v.endswith(" 3") for v in lines.values())
    assert "OpenDataFrance" in out
    exported = pd.read_csv(out_csv, sep=";", encoding="utf-8-sig", dtype=str)
    assert list(exported["Éditeur"]) == ["EVEOLE"]
    assert list(exported["Résultat"]) == ["Non rapproché"]
    assert exported.loc[0, "Raison"] == ("SIREN 790696009 absent du référentiel et aucune "
                                         "collectivité de ce nom")


# --- a dedicated portal whose publishers are other bodies --------------------------------

SDIS_NAME = "SDIS de la Haute-Garonne"


def _catalogue() -> dict:
    def item(ds_id: str, publisher: str | None) -> dict:
        return {"dataset_id": ds_id, "dataset_uid": f"da_{ds_id}", "has_records": True,
                "metas": {"default": {"title": ds_id, "publisher": publisher,
                                      "modified": "2026-05-01T00:00:00+00:00",
                                      "records_count": 10}},
                "fields": [], "features": ["analyze"]}
    results = [item("routes", "Conseil départemental de la Haute-Garonne"),
               item("sans-editeur", None),
               item("casernes", SDIS_NAME),
               item("parkings-colomiers", "Mairie de Colomiers")]
    return {"total_count": len(results), "results": results}


@pytest.fixture
def portal_world(tmp_path, server, monkeypatch):
    w = make_world(tmp_path, server, monkeypatch)
    w.serve()
    server.add("/api/explore/v2.1/catalog/datasets", Reply.json(_catalogue()))
    return w


def test_a_dedicated_portal_credits_the_bodies_its_publishers_name(portal_world):
    w = portal_world
    # the département registers the portal as its own (owner SIREN, no --partage)
    assert main(["portals", "add", "--url", w.server.url + "/", "--techno", "opendatasoft",
                 "--nom", "Open data du département", "--siren", CD31]) == 0
    res = run_harvest(w.settings, sources=["portals"])
    assert res.run_id is not None
    with db.connect(w.settings) as con:
        latest = snapshots.list_snapshots(con)[0]
        st = status.status_for(con, collectivites(con), latest).set_index("siren")
        rep = review.report(con).set_index("nom")
    # the commune's dataset is the commune's, published through another body's portal
    assert st.loc[COLOMIERS, "statut"] == vocab.VIA_TIERS
    assert st.loc[COLOMIERS, "nb_jeux_portails"] == 1
    # the owner keeps its own named dataset and the one that names nobody, not the SDIS's
    assert st.loc[CD31, "statut"] == vocab.PUBLIE
    assert st.loc[CD31, "nb_jeux_portails"] == 2
    assert rep.loc[SDIS_NAME, "resultat"] == vocab.OUTCOME_NOT_COLLECTIVITE
    assert rep.loc[SDIS_NAME, "categorie"] == "sdis"
    assert rep.loc["Mairie de Colomiers", "resultat"] == vocab.OUTCOME_NOM


def test_an_editions_organisation_type_serves_the_other_edition(settings, tmp_path):
    """The 2022 file gives no type: the 2021 edition's type for the same SIREN (DSPT, a
    public service operator) says EVEOLE is not a collectivité."""
    _edition_db(settings, tmp_path)
    assert _report(settings).loc["observatoire:790696009", "resultat"] == \
        vocab.OUTCOME_UNMATCHED
    with db.connect(settings) as con:
        run_id = journal.start_run(con, vocab.KIND_OBSERVATOIRE, ["observatoire:2021"],
                                   snapshot_date=date(2021, 12, 31))
        save.save_observatoire(con, run_id, pd.DataFrame(
            [{"siren": "790696009", "nom": "EVEOLE", "type": "DSPT", "statut": "publie",
              "via": "datagouv"}]).reindex(columns=save.OBSERVATOIRE_COLUMNS),
            SourceOutcome("observatoire:2021", ok=True, items=1))
    row = _report(settings).loc["observatoire:790696009"]
    assert row["resultat"] == vocab.OUTCOME_NOT_COLLECTIVITE
    assert row["categorie"] == vocab.ORG_OPERATEUR
