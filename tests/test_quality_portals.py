"""What each portal API gives of a dataset's quality (licence, frequency, formats,
themes), read from payloads in the portals' published formats; what it cannot give
stays empty (None / []), never a zero or a "no"."""

from __future__ import annotations

import json
from pathlib import Path

from odlab_compliance.ingest.harvest import ckan, dcat, opendatasoft

PORTALS = Path(__file__).resolve().parent / "fixtures" / "portals"


def test_ckan_gives_licence_formats_and_declared_frequency():
    payload = json.loads((PORTALS / "ckan-package_search.json").read_text(encoding="utf-8"))
    packages = payload["result"]["results"]
    e = ckan.to_entry(packages[0], "https://trouver.datasud.fr")
    assert (e["licence"], e["formats"]) == ("lov2", ["csv"])
    assert e["frequency"] is None                      # not published by this portal
    pkg = {**packages[0], "license_title": "Licence Ouverte / Open Licence version 2.0",
           "extras": [{"key": "frequency",
                       "value": "http://publications.europa.eu/resource/authority/frequency/"
                                "MONTHLY"}],
           "groups": [{"name": "citoyennete", "title": "Citoyenneté"}],
           "resources": [{"format": "PDF"}, {"format": "", "mimetype": "text/csv"}]}
    e = ckan.to_entry(pkg, "https://trouver.datasud.fr")
    assert (e["frequency"], e["formats"], e["themes"]) == ("monthly", ["csv", "pdf"],
                                                           ["Citoyenneté"])


def test_dcat_feeds_give_what_they_carry():
    doc = json.loads((PORTALS / "dcat-ap-2.1.1.json").read_text(encoding="utf-8"))
    e = dcat.to_entry(doc["dcat:dataset"][0])
    assert (e["licence"], e["frequency"], e["formats"]) == (None, None, [])  # not in feed
    item = {**doc["dcat:dataset"][0],
            "dct:license": {"@id": "https://www.etalab.gouv.fr/licence-ouverte-open-licence"},
            "dct:accrualPeriodicity": {
                "@id": "http://publications.europa.eu/resource/authority/frequency/DAILY"},
            "dcat:distribution": [
                {"dct:format": {"@id": "http://publications.europa.eu/resource/authority/"
                                       "file-type/GEOJSON"}},
                {"dcat:mediaType": "text/csv"}],
            "dcat:theme": ["Environnement"]}
    e = dcat.to_entry(item)
    assert e["licence"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    assert (e["frequency"], e["formats"], e["themes"]) == ("daily", ["csv", "geojson"],
                                                           ["Environnement"])
    us = json.loads((PORTALS / "dcat-us-data.json").read_text(encoding="utf-8"))["dataset"][0]
    us = {**us, "accrualPeriodicity": "R/P1Y",
          "distribution": [{"mediaType": "application/vnd.ms-excel"}]}
    e = dcat.to_entry(us)
    assert (e["frequency"], e["formats"]) == ("annual", ["xls"])


def test_opendatasoft_exports_and_licence():
    item = {"dataset_id": "colleges", "has_records": True, "features": ["geo", "analyze"],
            "metas": {"default": {"title": "Collèges", "license": "Licence Ouverte v2.0",
                                  "modified": "2026-09-01T00:00:00+00:00",
                                  "theme": ["Éducation"]},
                      "dcat": {"accrualperiodicity": "Annuelle"}}}
    e = opendatasoft.to_entry(item, "https://data.haute-garonne.fr")
    assert (e["licence"], e["frequency"]) == ("Licence Ouverte v2.0", "annual")
    assert (e["formats"], e["themes"]) == (["csv", "json", "geojson"], ["Éducation"])
    files_only = opendatasoft.to_entry({"dataset_id": "pdf", "has_records": False,
                                        "metas": {"default": {"title": "Rapport"}}}, "x")
    assert (files_only["formats"], files_only["licence"], files_only["frequency"]) == (
        [], None, None)


def test_harvested_portal_datasets_carry_their_quality_fields(server, settings):
    """Through a real harvest of a local CKAN portal and a local Opendatasoft portal: the
    records and the snapshot's quality rows hold what the APIs gave."""
    from odlab_compliance.http import make_session
    from odlab_compliance.ingest.harvest import quality
    from odlab_compliance.ingest.harvest.portals import harvest_portals
    from tests.test_portals import ods_dataset, portal, serve_ckan, serve_ods

    serve_ckan(server)
    serve_ods(server, [ods_dataset(i, "Rennes Métropole") for i in range(3)])
    portals = [portal("datasud", server.url, "ckan"),
               portal("rennes", server.url + "/pages/accueil/", "opendatasoft")]
    _, dss, outs = harvest_portals(portals, make_session(settings))
    assert all(o.ok for o in outs), outs
    by_id = {d.dataset_id: d for d in dss}
    delib = by_id["datasud:6b1c0d2e-0001-4c1e-9a51-000000000001"]
    assert (delib.licence, delib.formats, delib.frequency) == ("lov2", ["csv"], None)
    ods = by_id["rennes:jeu-00001"]
    assert ods.licence == "Licence Ouverte v2.0 (Etalab)" and ods.formats[:2] == ["csv", "json"]
    frame = quality.quality_frame(dss).set_index("dataset_id")
    assert frame.loc["rennes:jeu-00001", "source_key"] == "portal:rennes"
    assert frame.loc["rennes:jeu-00001", "themes"] == "Administration"
    assert frame["quality_score"].isna().all()          # portals give no score: empty
