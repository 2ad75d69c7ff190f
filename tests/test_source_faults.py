"""Official files that changed layout, sources slow or gone: `reference update` stops with
a French message naming the source, the column and what was expected (the loaded vintage
untouched); `sources check` names the source and what to do. Stand-ins of the official
hosts on 127.0.0.1, files built from tests/fixtures/reference/mirror."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.ingest import layout, siren_listing
from odlab_compliance.ingest.source_check import check_all
from odlab_compliance.ingest.sources import fetch, get_source
from odlab_compliance.present import sources_check
from tests.conftest import FIXTURES
from tests.fixtures.official_hosts import OfficialHosts
from tests.httpserver import Reply

MIRROR = FIXTURES / "reference" / "mirror"
HTML = (b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>Service en "
        b"maintenance</body></html>")


@pytest.fixture
def hosts(env, monkeypatch):
    h = OfficialHosts(MIRROR)
    h.serve_reference((2026,))
    h.serve_recherche()
    for k, v in h.env.items():
        monkeypatch.setenv(k, v)
    yield h
    h.close()


def _rows(settings) -> list[tuple]:
    with db.connect(settings) as con:
        return con.execute("SELECT * EXCLUDE (lon, lat) FROM ref_collectivite "
                           "ORDER BY ALL").fetchall()


def _replace(hosts: OfficialHosts, server, source_id: str, body: bytes) -> None:
    s = get_source(source_id, 2026)
    path = next(p for p in server.routes if p == s.path or p == s.path.replace("{year}",
                                                                             "2024"))
    server.routes[path] = [Reply(200, body)]


def _loaded_then(hosts, capsys, change) -> tuple[str, list, list]:
    """Load 2026 online, break one file, update again: (error text, rows before, after)."""
    settings = load_settings()
    assert main(["reference", "update", "--vintage", "2026", "--quiet"]) == 0
    before = _rows(settings)
    capsys.readouterr()
    change()
    assert main(["reference", "update", "--vintage", "2026", "--quiet", "--refresh"]) == 2
    return " ".join(capsys.readouterr().err.split()), before, _rows(settings)


def test_a_renamed_json_key_stops_the_update_naming_source_and_key(hosts, capsys):
    raw = json.loads((MIRROR / "cog-2026" / "communes.json").read_text(encoding="utf-8"))
    renamed = [{("dep" if k == "departement" else k): v for k, v in c.items()} for c in raw]
    err, before, after = _loaded_then(hosts, capsys, lambda: _replace(
        hosts, hosts.unpkg, "cog-communes", json.dumps(renamed).encode()))
    assert "Communes du Code officiel géographique" in err and "cog-communes" in err
    assert "'departement' absent" in err and "attendus : code, nom, type, departement" in err
    assert after == before and before      # the loaded vintage is untouched


def test_an_html_page_served_with_200_stops_the_update(hosts, capsys):
    err, before, after = _loaded_then(hosts, capsys, lambda: _replace(
        hosts, hosts.geo, "geo-communes", HTML))
    assert "Contours des communes" in err and "page HTML" in err and "geojson attendu" in err
    assert after == before


def test_a_csv_with_another_separator_is_named(tmp_path):
    """INSEE's CSV inside its zip is « ; »-separated: a « , » one is refused, saying so."""
    src = get_source("insee-populations-legales", 2026)
    archive = tmp_path / "ensemble.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("donnees_communes.csv", "REG,DEP,COM,Commune,PMUN,PCAP,PTOT\n"
                                            "84,01,01001,L'Abergement,860,15,875\n")
    with pytest.raises(layout.LayoutError) as exc:
        layout.check(src, archive)
    assert "séparé par « , » au lieu de « ; »" in str(exc.value)
    assert "insee-populations-legales" in str(exc.value)
    obs = get_source("odf-organisations", 2022)
    bad = tmp_path / "orgs.csv"
    bad.write_text("siren;nom;url_platform;id_datagouv;techno_platform\n1;a;;;\n",
                   encoding="utf-8")
    with pytest.raises(layout.LayoutError) as exc:
        layout.check(obs, bad)
    assert "séparé par « ; » au lieu de « , »" in str(exc.value)
    renamed = tmp_path / "orgs2.csv"
    renamed.write_text("siren,name,url_platform,id_datagouv,techno_platform\n", encoding="utf-8")
    with pytest.raises(layout.LayoutError) as exc:
        layout.check(obs, renamed)
    assert "colonne(s) 'nom' absente(s)" in str(exc.value)


def test_a_file_of_the_wrong_layout_is_not_kept_in_the_cache(hosts, settings):
    _replace(hosts, hosts.unpkg, "cog-regions", HTML)
    with pytest.raises(layout.LayoutError):
        fetch(get_source("cog-regions", 2026), load_settings())
    assert not list((load_settings().cache_dir / "cog-regions").rglob("*.json"))


def test_siren_rule_ties_units_to_territories():
    def unit(siren, nature, dep, reg, nom):
        return {"siren": siren, "nature_juridique": nature, "nom_complet": nom,
                "siege": {"siret": siren + "00010", "departement": dep, "region": reg}}
    rows = siren_listing.table_rows([
        unit("223100017", "7220", "31", "76", "DEPARTEMENT DE LA HAUTE GARONNE"),
        unit("226900017", "7220", "69", "84", "DEPARTEMENT DU RHONE"),
        unit("200046977", "7229", "69", "84", "METROPOLE DE LYON"),
        unit("200076958", "7229", "2A", "94", "COLLECTIVITE DE CORSE"),
        unit("229850003", "7220", "976", "06", "DEPARTEMENT DE MAYOTTE"),
        unit("200053403", "7230", "31", "76", "REGION OCCITANIE"),
    ])
    got = {(r["niveau"], r["code_insee"]): r["siren"] for r in rows}
    assert got == {("departement", "31"): "223100017", ("departement", "69"): "226900017",
                   ("departement", "2A"): "200076958", ("region", "94"): "200076958",
                   ("departement", "976"): "229850003", ("region", "06"): "229850003",
                   ("region", "76"): "200053403"}     # the Métropole de Lyon is not the Rhône


# -- sources check ----------------------------------------------------------------------------

def _reference_sources():
    return [get_source(i, 2026) for i in ("cog-communes", "cog-regions", "geo-communes")] + \
        [get_source("siren-departements-regions", 2022)]


def test_check_online_every_source_answers_in_its_layout(hosts, settings):
    checks = check_all(load_settings(), _reference_sources())
    assert [c.failed for c in checks] == [False] * 4
    table = sources_check.table(checks)
    assert set(table["Répond"]) == {"oui"} and set(table["Format attendu"]) == {"oui"}
    geo = table.set_index("Identifiant").loc["geo-communes"]
    assert "édition 2024" in geo["Remarque"]           # the nearest edition, said
    assert table.notna().all().all()


def test_check_names_a_slow_source_and_a_dead_one_and_what_to_do(hosts, monkeypatch):
    monkeypatch.setenv("ODLAB_HTTP_TIMEOUT", "1")
    s = get_source("cog-communes", 2026)
    hosts.unpkg.routes[s.path] = [Reply(200, b"[]", delay=3)]
    hosts.geo.close()                                   # Etalab's host does not answer
    checks = {c.source.id: c for c in check_all(load_settings(), _reference_sources())}
    slow, dead = checks["cog-communes"], checks["geo-communes"]
    assert slow.failed and "délai d'attente dépassé" in slow.problem
    assert "ODLAB_HTTP_TIMEOUT" in slow.advice
    assert dead.failed and "connexion refusée" in dead.problem and dead.advice
    assert not checks["cog-regions"].failed


def test_cli_check_exit_code_follows_required_sources(hosts, capsys):
    s = get_source("cog-regions", 2026)
    hosts.unpkg.routes[s.path] = [Reply(200, HTML)]
    assert main(["sources", "check"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "[PROBLÈME] cog-regions 2026" in out and "format attendu : non" in out
    assert "page HTML" in out and "source(s) requise(s) absente(s) ou au format changé" in out


def test_cli_check_offline_reads_the_mirror(mirror_dir, env, monkeypatch, capsys):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    assert main(["sources", "check"]) == 0
    out = capsys.readouterr().out
    assert "[OK] cog-communes 2026" in out and "lue depuis : miroir" in out
    assert "[FACULTATIVE ABSENTE] insee-populations-legales 2026" in out


def test_layout_reads_a_zip_in_insee_s_layout(tmp_path):
    """The populations légales file as INSEE serves it (ensemble.zip, donnees_communes.csv
    « ; »-separated with REG, DEP, CODCOM, COM, Commune, PMUN, PCAP, PTOT) passes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("donnees_communes.csv", "REG;Région;DEP;CODARR;CODCAN;CODCOM;COM;Commune;"
                                            "PMUN;PCAP;PTOT\n84;Auvergne-Rhône-Alpes;01;2;08;"
                                            "001;01001;L'Abergement-Clémenciat;860;15;875\n")
        zf.writestr("donnees_departements.csv", "REG;Région;DEP;Département;PMUN;PTOT\n")
    path = tmp_path / "ensemble.zip"
    path.write_bytes(buf.getvalue())
    layout.check(get_source("insee-populations-legales", 2026), path)


def test_first_run_page_shows_the_sources_table(hosts, monkeypatch):
    """Empty base, online: the first-run page checks every source on request, in French:
    here the Observatoire's files are not served, which the page says in red."""
    from streamlit.testing.v1 import AppTest

    from odlab_compliance.config import PROJECT_ROOT
    from odlab_compliance.ingest.sources import all_sources

    monkeypatch.setenv("ODLAB_LOCAL_WRITE", "1")   # building is for editors (issue 16)
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90)
    at.run()
    assert at.title[0].value == "Premier lancement"
    at.button(key="installation_sources_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "Format attendu" in d.value.columns)
    assert len(table) == len(all_sources())
    assert "Identifiant" not in table.columns        # no raw code on screen
    rows = table.set_index("Source")
    assert rows.loc[get_source("cog-communes", 2026).title, "Répond"].tolist()[:1] == ["oui"]
    title = get_source("odf-organisations", 2022).title
    assert any(f"« {title} » (2022)" in e.value for e in at.error)
    assert not table.isna().any().any()
