"""Loading reference vintages into DuckDB: replacement per vintage, rollback, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import Settings, load_settings
from odlab_compliance.errors import InputError
from odlab_compliance.ingest.reference import load
from odlab_compliance.ingest.sources import get_source
from tests.conftest import FIXTURES
from tests.fixtures.official_hosts import OfficialHosts
from tests.httpserver import Reply

TABLES = ("ref_collectivite", "ref_territoire", "ref_geometry", "ref_load")


@pytest.fixture
def mirror(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A writable copy of the fixture mirror, set as ODLAB_MIRROR_DIR."""
    d = tmp_path / "mirror"
    shutil.copytree(FIXTURES / "reference" / "mirror", d)
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(d))
    # a file left out of this mirror (an older mirror) must fail to download here, not
    # reach the real site
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", "http://127.0.0.1:9")
    return d


@pytest.fixture
def msettings(mirror: Path) -> Settings:
    return load_settings()


def _counts(con, vintage: int) -> dict[str, int]:
    sql = {t: f"SELECT count(*) FROM {t} WHERE vintage = ?" for t in TABLES}  # noqa: S608
    return {t: con.execute(q, [vintage]).fetchall()[0][0] for t, q in sql.items()}


def _rows(con, vintage: int) -> list[tuple]:
    return con.execute("SELECT * FROM ref_collectivite WHERE vintage = ? "
                       "ORDER BY type, code_insee", [vintage]).fetchall()


def test_load_vintage_fills_every_reference_table(msettings):
    with db.connect(msettings) as con:
        report = load.load_vintage(con, 2026, msettings)
        assert report.counts["com"] == 12 and report.counts["collectivites"] == 33
        assert _counts(con, 2026) == {"ref_collectivite": 33, "ref_territoire": 18,
                                      "ref_geometry": 12 + 8 + 10 + 7, "ref_load": 1}
        lon, lat = con.execute("SELECT lon, lat FROM ref_collectivite WHERE vintage = 2026 "
                               "AND code_insee = '2A004'").fetchall()[0]
        assert 2.8 < lon < 3.0 and 46.0 < lat < 46.1
        missing = con.execute("SELECT type, code_insee FROM ref_collectivite "
                              "WHERE vintage = 2026 AND lon IS NULL").fetchall()
        assert missing == []
        # outlines are WKB; the former code 01340 now draws 01015
        codes = {r[0] for r in con.execute("SELECT code FROM ref_geometry WHERE vintage = 2026 "
                                           "AND niveau = 'COM'").fetchall()}
        assert "01015" in codes and "01340" not in codes
        counts, warnings = con.execute("SELECT counts, warnings FROM ref_load").fetchall()[0]
        assert json.loads(counts)["geojson_octets"]["DEP"] > 0
        assert any("outre-mer" in w for w in json.loads(warnings))
        fetched = {r[0] for r in con.execute("SELECT source_id FROM source_fetch "
                                             "WHERE origin = 'mirror'").fetchall()}
        assert {"cog-communes", "cog-ept", "geo-regions", "siren-departements-regions"} <= fetched


def test_reloading_a_vintage_replaces_only_that_vintage(msettings, mirror):
    with db.connect(msettings) as con:
        con.execute("INSERT INTO agents (siren, source, agents_min, annee) "
                    "VALUES ('217500016', 'prefecture', 50000, 2025)")
        load.load_vintage(con, 2022, msettings)
        load.load_vintage(con, 2026, msettings)
        before_2022 = _rows(con, 2022)
        assert _counts(con, 2022)["ref_collectivite"] == 33 + 1   # one more commune
    path = mirror / "cog-2026" / "communes.json"
    path.write_text(path.read_text(encoding="utf-8").replace("Ajaccio", "Aiacciu"),
                    encoding="utf-8")
    with db.connect(msettings) as con:
        load.load_vintage(con, 2026, msettings)
        assert _rows(con, 2022) == before_2022
        names = {r[0] for r in con.execute("SELECT nom FROM ref_collectivite "
                                           "WHERE vintage = 2026").fetchall()}
        assert "Aiacciu" in names and "Ajaccio" not in names
        assert _counts(con, 2026)["ref_load"] == 1
        assert con.execute("SELECT count(*) FROM agents").fetchall()[0][0] == 1


def test_an_optional_source_missing_from_an_older_mirror_is_a_warning(msettings, mirror):
    (mirror / "cog-2022" / "ept.json").unlink()       # an older mirror: no EPT file
    with db.connect(msettings) as con:
        report = load.load_vintage(con, 2022, msettings)
        assert any("Source cog-ept indisponible" in w for w in report.warnings)
        assert _counts(con, 2022)["ref_collectivite"] == 33 - 1 + 1   # no EPT, one commune more


def test_a_failure_while_writing_leaves_the_database_as_it_was(msettings, monkeypatch):
    with db.connect(msettings) as con:
        load.load_vintage(con, 2026, msettings)
        before = _rows(con, 2026), _counts(con, 2026)
        fetches = con.execute("SELECT count(*) FROM source_fetch").fetchall()
        # the last insert of the transaction fails: everything before it must be undone
        monkeypatch.setattr(load, "INSERT_LOAD", "INSERT INTO ref_load VALUES "
                            "(?, CASE WHEN ? IS NULL THEN now() END, ?, ?, ?)")
        with pytest.raises(Exception, match="(?i)null|constraint"):
            load.load_vintage(con, 2026, msettings)
        assert (_rows(con, 2026), _counts(con, 2026)) == before
        assert con.execute("SELECT count(*) FROM source_fetch").fetchall() == fetches


def test_bad_input_is_reported_and_nothing_is_written(msettings, mirror):
    with db.connect(msettings) as con:
        load.load_vintage(con, 2026, msettings)
        before = _rows(con, 2026)
    path = mirror / "cog-2026" / "epci.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"code":"01004"', '"code":1004'),
                    encoding="utf-8")
    with db.connect(msettings) as con, pytest.raises(InputError) as exc:
        load.load_vintage(con, 2026, msettings)
    assert "epci.json" in str(exc.value) and "ligne 2" in str(exc.value)
    with db.connect(msettings) as con:
        assert _rows(con, 2026) == before


def test_cli_update_and_status(msettings, mirror, capsys):
    assert main(["reference", "status"]) == 0
    assert "Aucun référentiel" in capsys.readouterr().out
    assert main(["reference", "update", "--vintage", "2026", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Référentiel 2026 chargé" in out and "12 communes" in out and "alerte" in out
    assert main(["reference", "status"]) == 0
    out = capsys.readouterr().out
    assert "2026\tchargé le" in out
    # each population file's millésime, established from its figures, is shown
    assert "populations légales en vigueur : millésime 2023" in out
    assert ("Le fichier des communes (découpage administratif) : millésime 2023 (chiffres "
            "publiés par l'Insee") in out
    assert "membres des EPCI (découpage administratif) : millésime 2022" in out
    (mirror / "cog-2022" / "communes.json").write_text("[{", encoding="utf-8")
    assert main(["reference", "update", "--all", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "communes.json" in err and "JSON invalide" in err and "ligne 1" in err


def test_cli_without_mirror_or_network_says_which_source(env, server, monkeypatch, capsys):
    for group in ("UNPKG", "ETALAB_GEO"):
        monkeypatch.setenv(f"ODLAB_BASE_URL_{group}", server.url)  # answers 404 to all
    assert main(["reference", "update", "--vintage", "2026", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "cog-communes" in err and "ODLAB_MIRROR_DIR" in err


def test_online_load_from_official_urls_with_gz_outlines(env, monkeypatch):
    """No mirror: the COG from unpkg, Etalab's .geojson.gz outlines keyed by ``code``
    (EPCI too) of the nearest published year, a 503 on the way, and the SIREN of
    départements and régions from the listing of the API Recherche d'entreprises."""
    hosts = OfficialHosts(FIXTURES / "reference" / "mirror")
    try:
        hosts.serve_reference((2026,))
        hosts.serve_recherche()
        for k, v in hosts.env.items():
            monkeypatch.setenv(k, v)
        s = get_source("geo-regions", 2026)
        route = s.path.replace("{year}", "2024")
        hosts.geo.add(route, Reply(503, b"busy"), *hosts.geo.routes[route])
        settings = load_settings()
        with db.connect(settings) as con:
            report = load.load_vintage(con, 2026, settings)
            fetched = con.execute("SELECT source_id, origin, url, fallback FROM source_fetch"
                                  ).fetchall()
            n_geo = con.execute("SELECT count(*) FROM ref_geometry").fetchall()[0][0]
            no_siren = con.execute("SELECT count(*) FROM ref_collectivite WHERE siren IS NULL "
                                   "AND type IN ('DEP', 'REG')").fetchall()[0][0]
    finally:
        hosts.close()
    assert {r[1] for r in fetched} == {"download"} and n_geo == 12 + 8 + 10 + 7
    assert no_siren == 0
    siren_row = next(r for r in fetched if r[0] == "siren-departements-regions")
    assert siren_row[2].startswith(hosts.recherche.url + "/search?nature_juridique=7220")
    # outlines of 2024 for 2026: said in the journal and the warnings, not silent
    geo = {r[0]: r[3] for r in fetched if r[0].startswith("geo-")}
    assert all(v and "édition 2024" in v for v in geo.values())
    assert any("geo-communes : édition 2024" in w for w in report.warnings)


@pytest.mark.parametrize("argv,expected", [
    (["reference", "--help"], "Charge les référentiels officiels d'un millésime"),
    (["reference", "update", "--help"], "remplace ce millésime seulement"),
    (["reference", "status", "--help"], "Liste les millésimes du référentiel chargés"),
])
def test_cli_help_is_french(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())   # argparse wraps lines
    assert expected in out
    assert out.startswith("usage : python -m odlab_compliance reference")
    assert "affiche cette aide et quitte" in out
    for english in ("usage:", "show this help", "positional arguments"):
        assert english not in out
