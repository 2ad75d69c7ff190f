"""Portals: registry, Opendatasoft / CKAN / DCAT harvests and faults, on a real local server."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.http import make_session
from odlab_compliance.ingest.harvest import opendatasoft
from odlab_compliance.ingest.harvest.portals import (
    Portal,
    add_user_portal,
    harvest_portals,
    is_state_publisher,
    load_portal_registry,
    read_platform_list,
    select_portals,
)
from tests.conftest import FIXTURES
from tests.httpserver import Reply, Request

HERE = FIXTURES / "portals"
ODS_CATALOG = "/api/explore/v2.1/catalog/datasets"
ODS_FACETS = "/api/explore/v2.1/catalog/facets"
CKAN_SEARCH = "/api/3/action/package_search"


# --- helpers: an Opendatasoft portal --------------------------------------------------------

def ods_dataset(i: int, publisher: str | None) -> dict:
    """A catalogue result as Explore v2.1 returns it."""
    return {
        "dataset_id": f"jeu-{i:05d}", "dataset_uid": f"da_{i:06x}", "has_records": True,
        "data_visible": True, "features": ["analyze"], "attachments": [],
        "alternative_exports": [], "fields": [{"name": "id", "label": "id", "type": "text"}],
        "metas": {"default": {
            "title": f"Jeu {i}", "publisher": publisher, "records_count": 10,
            "modified": f"2025-0{1 + i % 9}-01T10:00:00+00:00", "language": "fr",
            "license": "Licence Ouverte v2.0 (Etalab)", "theme": ["Administration"],
            "keyword": None}},
    }


def ods_handlers(datasets: list[dict], window: int = opendatasoft.MAX_WINDOW):
    """(catalog, facets) handlers that page, refine and enforce the API's limits."""

    def publisher_of(d: dict) -> str | None:
        return d["metas"]["default"]["publisher"]

    def catalog(req: Request) -> Reply:
        limit, offset = int(req.arg("limit", "10")), int(req.arg("offset", "0"))
        if limit > 100 or offset + limit > window:
            return Reply.json({"error_code": "InvalidRESTParameterError",
                               "message": "offset + limit must be <= 10000"}, status=400)
        rows = datasets
        refine = req.arg("refine")
        if refine:
            value = json.loads(refine.split(":", 1)[1])
            rows = [d for d in rows if publisher_of(d) == value]
        if req.arg("where") == "publisher is null":
            rows = [d for d in rows if not publisher_of(d)]
        return Reply.json({"total_count": len(rows), "results": rows[offset: offset + limit]})

    def facets(req: Request) -> Reply:
        counts: dict[str, int] = {}
        for d in datasets:
            if publisher_of(d):
                counts[publisher_of(d)] = counts.get(publisher_of(d), 0) + 1
        return Reply.json({"links": [], "facets": [{"name": "publisher", "facets": [
            {"count": n, "state": "displayed", "name": v, "value": v}
            for v, n in sorted(counts.items())]}]})

    return catalog, facets


def serve_ods(server, datasets: list[dict], window: int = opendatasoft.MAX_WINDOW) -> None:
    catalog, facets = ods_handlers(datasets, window)
    server.add(ODS_CATALOG, catalog)
    server.add(ODS_FACETS, facets)


def serve_ckan(server) -> None:
    payload = json.loads((HERE / "ckan-package_search.json").read_text(encoding="utf-8"))
    packages = payload["result"]["results"]

    def search(req: Request) -> Reply:
        rows, start = int(req.arg("rows", "10")), int(req.arg("start", "0"))
        page = {**payload, "result": {**payload["result"], "results": packages[start: start + rows]}}
        return Reply.json(page)

    server.add(CKAN_SEARCH, search)


def portal(pid: str, url: str, techno: str, **kw) -> Portal:
    return Portal(id=pid, name=kw.pop("name", pid), url=url, technology=techno, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RENNES_PUBLISHERS = ["Rennes Métropole", "Commune d'Acigné", "INSEE", None]


@pytest.fixture
def session(settings):
    return make_session(settings)


# --- Opendatasoft --------------------------------------------------------------------------

def test_ods_shared_portal_attributes_datasets_to_publishers(server, session):
    datasets = [ods_dataset(i, RENNES_PUBLISHERS[i % 4]) for i in range(250)]
    serve_ods(server, datasets)
    rennes = portal("data-rennes", server.url + "/pages/accueil/", "opendatasoft", shared=True,
                    owner_siren="243500139", name="Data Rennes Métropole")
    pubs, dss, outs = harvest_portals([rennes], session)

    assert [(o.source_key, o.ok, o.items) for o in outs] == [("portal:data-rennes", True, 250)]
    assert outs[0].item_errors == []
    by_name = {p.name: p for p in pubs}
    assert set(by_name) == {"Rennes Métropole", "Commune d'Acigné", "INSEE", ""}
    assert by_name["Commune d'Acigné"].publisher_id == "data-rennes:Commune d'Acigné"
    assert by_name["Commune d'Acigné"].nb_datasets == 63
    # on a shared portal the publisher text is matched later, and datasets naming no
    # publisher are nobody's: not the owner's either
    assert {p.name: p.siret for p in pubs if p.siret} == {}
    assert by_name[""].publisher_id == "data-rennes:" and by_name[""].nb_datasets == 62
    assert {d.siren_hint for d in dss} == {None}
    state = [d for d in dss if d.state_data]
    assert {d.publisher_id for d in state} == {"data-rennes:INSEE"} and len(state) == 62
    ds = next(d for d in dss if d.dataset_id == "data-rennes:jeu-00001")
    assert ds.url == f"{server.url}/explore/dataset/jeu-00001/"
    assert ds.platform_id == "data-rennes" and ds.last_update.startswith("2025-02-01")
    # 3 pages of at most 100, no page past the total
    limits = [int(r.arg("limit")) for r in server.requests if r.path == ODS_CATALOG]
    assert len(limits) == 3 and max(limits) <= 100


def test_ods_dedicated_portal_gives_owner_only_datasets_naming_nobody(server, session):
    names = ["IGN", "Ville d'Agen", None, "SDIS 47", None]
    serve_ods(server, [ods_dataset(i, names[i]) for i in range(5)])
    agen = portal("data-agen", server.url, "opendatasoft", owner_siren="214700015",
                  name="Data Agen")
    pubs, dss, _ = harvest_portals([agen], session)
    sirets = {p.name: p.siret for p in pubs}
    # named publishers, the owner included, are matched by name later (the owner's own
    # name will match it); only the datasets that name nobody go to the owner
    assert sirets == {"IGN": None, "Ville d'Agen": None, "SDIS 47": None,
                      "Data Agen": "214700015"}
    hints = {d.dataset_id: d.siren_hint for d in dss}
    assert hints == {"data-agen:jeu-00000": None, "data-agen:jeu-00001": None,
                     "data-agen:jeu-00002": "214700015", "data-agen:jeu-00003": None,
                     "data-agen:jeu-00004": "214700015"}
    ign = next(d for d in dss if d.state_data)
    assert ign.siren_hint is None


def test_ods_catalogue_beyond_window_is_read_from_the_export(server, session, monkeypatch):
    monkeypatch.setattr(opendatasoft, "MAX_WINDOW", 300)
    datasets = [ods_dataset(i, "Ville de Paris" if i % 3 else "IGN") for i in range(450)]
    serve_ods(server, datasets, window=300)
    server.add("/api/explore/v2.1/catalog/exports/json", Reply.json(datasets))
    _, dss, outs = harvest_portals([portal("paris", server.url, "opendatasoft")], session)
    assert outs[0].ok and outs[0].items == 450 and outs[0].item_errors == []
    assert server.hits(ODS_CATALOG) == 1      # one probe page, then the whole export
    assert sum(d.state_data for d in dss) == 150


def test_ods_catalogue_beyond_window_is_split_by_publisher(server, session, monkeypatch):
    # The real window is 10,000; a smaller one keeps the test fast, same code path.
    monkeypatch.setattr(opendatasoft, "MAX_WINDOW", 300)
    datasets = ([ods_dataset(i, "Département de la Gironde") for i in range(280)]
                + [ods_dataset(1000 + i, "Bordeaux Métropole") for i in range(90)]
                + [ods_dataset(2000 + i, None) for i in range(5)])
    serve_ods(server, datasets, window=300)   # no export route here: 404, then the split
    p = portal("gironde", server.url, "opendatasoft", shared=True)
    _, dss, outs = harvest_portals([p], session)
    assert outs[0].ok and outs[0].items == 375 and outs[0].item_errors == []
    assert len({d.dataset_id for d in dss}) == 375
    assert server.hits(ODS_FACETS) == 1


def test_ods_truncation_is_reported(server, session, monkeypatch):
    monkeypatch.setattr(opendatasoft, "MAX_WINDOW", 200)
    datasets = [ods_dataset(i, "Région Sud") for i in range(230)]
    serve_ods(server, datasets, window=200)
    _, dss, outs = harvest_portals([portal("sud", server.url, "opendatasoft")], session)
    assert outs[0].ok and len(dss) == 200
    assert any("230 jeux, seuls 200" in e for e in outs[0].item_errors)
    assert any("catalogue tronqué : 200 jeux lus sur 230" in e for e in outs[0].item_errors)


# --- CKAN and DCAT ---------------------------------------------------------------------------

def test_ckan_pages_and_attributes_by_organization(server, session, monkeypatch):
    from odlab_compliance.ingest.harvest import ckan
    monkeypatch.setattr(ckan, "ROWS", 2)  # force paging over the 5 packages
    serve_ckan(server)
    datasud = portal("datasud", server.url + "/dataset", "ckan", shared=True)
    pubs, dss, outs = harvest_portals([datasud], session)
    assert outs[0].ok and outs[0].items == 4   # the private package is left out
    assert {p.name: p.nb_datasets for p in pubs} == {
        "Ville de Marseille": 2, "Métropole Aix-Marseille-Provence": 1, "INSEE": 1}
    delib = next(d for d in dss if d.title.startswith("Délibérations"))
    assert delib.schemas == ["scdl/deliberations"]
    assert delib.url == f"{server.url}/dataset/deliberations-marseille-2024"
    assert delib.last_update == "2025-06-02T14:01:55.987001"
    assert next(d for d in dss if d.title == "Subventions versées").schemas == ["scdl/subventions"]
    assert [d.state_data for d in dss if "Sirene" in d.title] == [True]
    starts = [r.arg("start") for r in server.requests if r.path == CKAN_SEARCH]
    assert starts == ["0", "2", "4"]


def test_dcat_arcgis_and_dcat_us_feeds(server, session):
    server.add("/api/feed/dcat-ap/2.1.1.json",
               Reply(200, (HERE / "dcat-ap-2.1.1.json").read_bytes(),
                     {"Content-Type": "application/json"}))
    server.add("/data.json", Reply(200, (HERE / "dcat-us-data.json").read_bytes(),
                                   {"Content-Type": "application/json"}))
    atmo = portal("atmo-aura", server.url, "arcgis", owner_siren="534194451")
    boissy = portal("boissy", server.url + "/", "dcat", owner_siren="219400041")
    pubs, dss, outs = harvest_portals([atmo, boissy], session)
    assert [o.ok for o in outs] == [True, True]
    atmo_ds = [d for d in dss if d.platform_id == "atmo-aura"]
    assert {d.title: d.state_data for d in atmo_ds} == {
        "Indice ATMO de la qualité de l'air": False, "Limites communales (Admin Express)": True}
    indice = next(d for d in atmo_ds if not d.state_data)
    assert indice.last_update == "2025-10-01T06:00:00.000Z"
    assert indice.url == "https://data-atmoaura.opendata.arcgis.com/datasets/indice-atmo"
    # the publisher the feed names is matched later, never given the owner's SIREN
    assert indice.siren_hint is None
    boissy_pub = next(p for p in pubs if p.platform_id == "boissy")
    assert boissy_pub.name == "Commune de Boissy-Saint-Léger" and boissy_pub.nb_datasets == 2


# --- faults ----------------------------------------------------------------------------------

def test_faults_give_failed_outcomes_and_never_block_others(server, env):
    from tests.httpserver import LocalServer

    fast = load_settings({**env, "ODLAB_HTTP_TIMEOUT": "0.5", "ODLAB_HTTP_RETRIES": "1"})
    session = make_session(fast)
    serve_ods(server, [ods_dataset(i, "Ville de Lyon") for i in range(3)])
    # CKAN/ODS paths hang from the host root: each faulty portal has a server of its own
    broken_json, slow, err = LocalServer(), LocalServer(), LocalServer()
    try:
        broken_json.add(ODS_CATALOG, Reply(200, b'{"total_count": 3, "results": [',
                                           {"Content-Type": "application/json"}))
        slow.add("/data.json", Reply.json({"dataset": []}, delay=1.5))
        err.add(CKAN_SEARCH, Reply(500, b"Internal Server Error"))
        portals = [
            portal("down", f"http://127.0.0.1:{free_port()}", "ckan"),
            portal("err500", err.url, "ckan"),
            portal("badjson", broken_json.url, "opendatasoft"),
            portal("slow", slow.url, "dcat"),
            portal("geonetwork", "http://127.0.0.1:9/geonetwork", "geonetwork",
                   technology_label="GeoNetwork"),
            portal("good", server.url, "opendatasoft"),
        ]
        _, dss, outs = harvest_portals(portals, session, max_workers=3)
    finally:
        for s in (broken_json, slow, err):
            s.close()
    by = {o.source_key: o for o in outs}
    assert [o.source_key for o in outs] == [f"portal:{p.id}" for p in portals]
    assert by["portal:good"].ok and by["portal:good"].items == 3 and len(dss) == 3
    assert "injoignable" in by["portal:down"].error
    assert "erreur HTTP 500" in by["portal:err500"].error
    assert "JSON invalide" in by["portal:badjson"].error
    assert "délai" in by["portal:slow"].error
    assert by["portal:geonetwork"].error == "technologie non prise en charge : GeoNetwork"
    # not attempted by design: its collectivités stay unknown, the run is not an error
    assert by["portal:geonetwork"].skipped and not by["portal:geonetwork"].failed
    assert all(by[k].failed for k in by if k not in ("portal:good", "portal:geonetwork"))
    assert not any(by[k].ok for k in by if k != "portal:good")
    assert err.hits(CKAN_SEARCH) == 2   # one retry, then the failure is reported


def test_concurrency_is_bounded_per_host(server, session):
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    catalog, _ = ods_handlers([ods_dataset(i, "Ville de Nantes") for i in range(150)])

    def tracked(req: Request) -> Reply:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        try:
            time.sleep(0.02)
            return catalog(req)
        finally:
            with lock:
                state["now"] -= 1

    server.add(ODS_CATALOG, tracked)
    same_host = [portal(f"p{i}", f"{server.url}/portail-{i}", "opendatasoft") for i in range(4)]
    _, dss, outs = harvest_portals(same_host, session, max_workers=4, per_host=1)
    assert all(o.ok for o in outs) and len(dss) == 600
    assert state["max"] == 1
    state["max"] = 0
    harvest_portals(same_host, session, max_workers=4, per_host=2)
    assert 1 <= state["max"] <= 2


def test_progress_ticks_once_per_portal(server, session):
    serve_ods(server, [ods_dataset(1, "X")])
    ticks: list[int] = []
    harvest_portals([portal("a", server.url, "opendatasoft"),
                     portal("b", server.url + "/b", "opendatasoft")], session,
                    progress=ticks.append)
    assert ticks == [1, 1]


# --- registry --------------------------------------------------------------------------------

def test_platform_list_becomes_registry():
    portals = {p.id: p for p in read_platform_list(HERE / "observatoire-plateformes.csv")}
    assert "opendata-loiret" not in portals          # DataGouv rows: data.gouv.fr harvester
    assert "data-vendee" in portals and "data-vendee-2" not in portals  # same host once
    rennes = portals["data-rennes-metropole"]
    assert rennes.technology == "opendatasoft" and rennes.shared and rennes.region == "53"
    assert rennes.owner_siren == "243500139"          # the only EPCI-like SIREN, porteur MET
    assert rennes.hosted_sirens == ("243500139", "213500010", "213502388")
    assert rennes.api_base == "https://data.rennesmetropole.fr"
    agen = portals["data-agen"]
    assert not agen.shared and agen.owner_siren == "214700015"
    assert portals["data-air-breizh"].technology == "geonetwork"
    assert not portals["data-air-breizh"].supported
    assert portals["datasud"].technology == "ckan"
    assert portals["atmo-aura-open-data"].technology == "arcgis"


def _mirror_with_platforms(tmp_path: Path) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / "odf").mkdir(parents=True)
    shutil.copy(HERE / "observatoire-plateformes.csv", mirror / "odf" / "observatoire-plateformes.csv")
    return mirror


def test_registry_merges_user_portals(env, tmp_path, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(_mirror_with_platforms(tmp_path)))
    settings = load_settings()
    with db.connect(settings) as con:
        add_user_portal(con, nom="Data Agen (API)", url="https://data.agen.fr/api", techno="ckan",
                        siren="214700015")
        add_user_portal(con, nom="Portail local", url="http://127.0.0.1:8080", techno="dcat")
        with pytest.raises(ValueError, match="technologie"):
            add_user_portal(con, nom="X", url="https://x.fr", techno="geonetwork")
        with pytest.raises(ValueError, match="existe déjà"):
            add_user_portal(con, nom="Portail local", url="http://127.0.0.1:9", techno="dcat")
        portals = {p.id: p for p in load_portal_registry(con, settings)}
    assert "data-agen" not in portals               # replaced by the user's entry, same host
    assert portals["data-agen-api"].technology == "ckan"
    assert portals["data-agen-api"].origin == "utilisateur"
    assert portals["data-agen-api"].owner_siren == "214700015"
    assert portals["portail-local"].api_base == "http://127.0.0.1:8080"


def test_select_portals_by_region_and_sirens():
    portals = read_platform_list(HERE / "observatoire-plateformes.csv")
    bre = {p.id for p in select_portals(portals, "reg:53")}
    assert bre == {"data-rennes-metropole", "data-air-breizh"}
    by_siren = {p.id for p in select_portals(portals, {"213500010"})}
    assert by_siren == {"data-rennes-metropole"}
    assert len(select_portals(portals, None)) == len(portals)


def test_state_publishers_are_recognised():
    for text in ("INSEE", "Institut national de l'information géographique et forestière (IGN)",
                 "SNCF Réseau", "Ministère de la Culture", "Préfecture de la Gironde", "Etalab"):
        assert is_state_publisher(text), text
    for text in ("Commune d'Acigné", "Rennes Métropole", "Département de l'Ignon", "", None):
        assert not is_state_publisher(text), text


def test_cli_portals_add_and_list(env, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(_mirror_with_platforms(tmp_path)))
    assert main(["portals", "add", "--url", "http://127.0.0.1:8081", "--techno", "ckan",
                 "--nom", "CKAN de test", "--siren", "213500010"]) == 0
    assert main(["portals", "add", "--url", "http://127.0.0.1:8082", "--techno", "ckan",
                 "--nom", "Autre", "--siren", "12345"]) == 2
    assert "5 chiffres au lieu de 9" in capsys.readouterr().err
    assert main(["portals", "list", "--pris-en-charge"]) == 0
    out = capsys.readouterr().out
    assert "ckan-de-test\tckan\tnon\tutilisateur\toui\thttp://127.0.0.1:8081" in out
    assert "data-air-breizh" not in out and "data-rennes-metropole" in out
    assert main(["portals", "disable", "data-agen", "--note", "portail fermé"]) == 0
    assert main(["portals", "disable", "inconnu"]) == 2
    capsys.readouterr()
    main(["portals", "list"])
    assert "data-agen\topendatasoft\tnon\tobservatoire\tnon\t" in capsys.readouterr().out
    settings = load_settings()
    with db.connect(settings) as con:
        assert "data-agen" not in {p.id for p in select_portals(
            load_portal_registry(con, settings), None)}
    assert main(["portals", "enable", "data-agen"]) == 0
    with db.connect(settings) as con:
        assert next(p for p in load_portal_registry(con, settings) if p.id == "data-agen").active


@pytest.mark.mirror
def test_mirror_platform_list(mirror_dir, env, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    settings = load_settings()
    with db.connect(settings) as con:
        portals = load_portal_registry(con, settings)
    assert 200 <= len(portals) <= 220
    assert len({p.id for p in portals}) == len(portals)
    techs = {p.technology for p in portals if p.supported}
    assert techs == {"opendatasoft", "ckan", "arcgis"}
    rennes = next(p for p in portals if p.host == "data.rennesmetropole.fr")
    assert rennes.shared and "213500010" in rennes.hosted_sirens


def test_one_reader_per_technology_and_every_label_reads_with_one():
    from odlab_compliance.ingest.harvest import portals as P
    assert P.SUPPORTED == tuple(P.READERS) == ("opendatasoft", "ckan", "arcgis", "dcat")
    labels = [label for reader in P.READERS.values() for label in reader.labels]
    assert len(labels) == len(set(labels))            # a label is read by one technology
    assert P.normalize_technology("Data4Citizen") == "ckan"
    assert P.normalize_technology("ArcGIS Hub") == "arcgis"
    assert P.normalize_technology("GeoNetwork") == "geonetwork"
    geonetwork = P.Portal("g", "Géo", "https://geo.example.org", "geonetwork", "GeoNetwork")
    assert not geonetwork.supported
    with pytest.raises(P.PortalError, match="non prise en charge : GeoNetwork"):
        P.fetch_entries(geonetwork, lambda url, params=None: None)
