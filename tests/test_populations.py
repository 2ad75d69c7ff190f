"""Populations of one millésime: INSEE's file, the millésime of each file from evidence,
one pair (totale, municipale) per commune, and the obligation test on them."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.errors import InputError
from odlab_compliance.fmt import NNBSP
from odlab_compliance.ingest.reference import build, cog, populations, siren
from odlab_compliance.ingest.reference.jsonfile import load_json
from odlab_compliance.ingest.reference.load import load_vintage
from odlab_compliance.model.obligation import evaluate
from odlab_compliance.territory import Territory, filter_frame
from tests.conftest import FIXTURES
from tests.httpserver import Reply

MIRROR = FIXTURES / "reference" / "mirror"
INSEE = FIXTURES / "reference" / "insee"
PATH_2023 = "/fr/statistiques/fichier/8680726/ensemble.zip"


def insee_zip(csv_name: str) -> bytes:
    """The fixture CSV packed as INSEE serves it (ensemble.zip with other tables)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("donnees_communes.csv", (INSEE / csv_name).read_bytes())
        zf.writestr("donnees_departements.csv", "REG;Région;DEP;Département;NBCOM;PMUN;PTOT\n")
    return buf.getvalue()


def parts(vintage: int = 2026) -> dict:
    d = MIRROR / f"cog-{vintage}"
    raw = load_json(d / "communes.json")
    return {
        "communes": cog.parse_communes(raw, d / "communes.json"),
        "former": cog.parse_former_codes(raw),
        "epci": cog.parse_groups(load_json(d / "epci.json"), d / "epci.json"),
        "ept": cog.parse_groups(load_json(d / "ept.json"), d / "ept.json"),
        "terr": cog.parse_territoires(load_json(d / "departements.json"),
                                      d / "departements.json", load_json(d / "regions.json"),
                                      d / "regions.json"),
        "sirens": siren.parse_siren_table(MIRROR / "siren" / "departements-regions-siren.csv"),
    }


def built(vintage: int = 2026, insee: pd.DataFrame | None = None,
          declared: int | None = None) -> build.Built:
    p = parts(vintage)
    return build.build(vintage, p["communes"], p["epci"], p["ept"], p["terr"], p["sirens"],
                       insee=insee, insee_declared=declared)


def row(df: pd.DataFrame, type_: str, code: str) -> pd.Series:
    rows = df[df["type"].eq(type_) & df["code_insee"].eq(code)]
    assert len(rows) == 1, (type_, code)
    return rows.iloc[0]


def files(b: build.Built) -> dict[str, dict]:
    return {f["cle"]: f for f in b.millesimes["fichiers"]}


# -- INSEE's file -------------------------------------------------------------------------

def test_parse_insee_reads_both_layouts(tmp_path):
    new = tmp_path / "ensemble.zip"
    new.write_bytes(insee_zip("donnees_communes_2023.csv"))
    df = populations.parse_insee(new).set_index("code")
    assert df.loc["75056"].tolist() == [2103778, 15634, 2119412]
    assert df.loc["97209", "population_totale"] == 77521
    old = populations.parse_insee(INSEE / "donnees_communes_2019.csv").set_index("code")
    # the code is DEP + CODCOM in the older layout, where COM is the name
    assert old.loc["75056", "population_municipale"] == 2165423
    assert {"01001", "2A004", "97209", "97611"} <= set(old.index)


def test_parse_insee_refuses_a_bad_file_naming_lines(tmp_path):
    text = (INSEE / "donnees_communes_2023.csv").read_text(encoding="utf-8")
    bad = tmp_path / "donnees_communes.csv"
    bad.write_text(text.replace(";860;15;875", ";860;15;85").replace("01004", "1004"),
                   encoding="utf-8")
    with pytest.raises(InputError) as exc:
        populations.parse_insee(bad)
    msg = str(exc.value)
    assert "ligne 2 : population totale inférieure à la municipale" in msg
    assert "ligne 3" in msg and "1004" in msg
    archive = tmp_path / "ensemble.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("autre.csv", "x")
    with pytest.raises(InputError, match="donnees_communes.csv"):
        populations.parse_insee(archive)


def test_a_commune_nouvelle_gets_the_sum_of_its_former_communes():
    insee = populations.parse_insee(INSEE / "donnees_communes_2023.csv")
    p = parts(2026)
    codes = p["communes"]["code"].tolist()
    out = populations.for_cog(insee, codes, p["former"]).set_index("code")
    # Arboys en Bugey (01015) = Arbignieu (01015) + Saint-Bois (01340), as separate rows
    assert out.loc["01015"].tolist() == [530 + 2950, 10 + 40, 540 + 2990]
    assert "01340" not in out.index
    later = insee[insee["code"].ne("01340")]
    out = populations.for_cog(later, codes, p["former"]).set_index("code")
    assert out.loc["01015", "population_municipale"] == 530   # the file knows no merger
    two = pd.DataFrame({"ancien_code": ["01340", "01999"], "code": ["01015", "01015"]})
    out = populations.for_cog(insee, codes, two).set_index("code")
    assert "01015" not in out.index                # a former commune missing: no partial sum


# -- which millésime is a file ------------------------------------------------------------

def test_millesime_from_published_figures_then_agreement_never_from_names():
    anchors = pd.DataFrame({"millesime": [2022, 2023], "code": ["75056", "75056"],
                            "nom": ["Paris", "Paris"],
                            "population_municipale": [2113705, 2103778],
                            "source": ["p2022", "p2023"]})
    a = populations.FigureSet("a", "le fichier A", pd.Series({"75056": 2103778, "01001": 860}))
    b = populations.FigureSet("b", "le fichier B", pd.Series({"75056": 2113705, "01001": 850}))
    c = populations.FigureSet("c", "le fichier C", pd.Series({"01001": 860, "01004": 1}))
    d = populations.FigureSet("d", "le fichier D", pd.Series({"99999": 3}), declared=2021)
    got = populations.identify([c, a, b, d], anchors)
    assert (got["a"].millesime, got["b"].millesime) == (2023, 2022)
    assert "Paris 2\u202f103\u202f778" in got["a"].evidence and "p2023" in got["a"].evidence
    assert got["c"].millesime == 2023 and "le fichier A" in got["c"].evidence
    assert got["d"].millesime is None and got["d"].declared == 2021
    assert "deux millésimes différents" in populations.disagreement_text(a, b)
    assert populations.disagreement_text(a, c) is None


def test_the_repository_anchors_name_their_source():
    anchors = populations.read_anchors()
    assert anchors["source"].str.startswith("https://www.insee.fr/").all()
    assert {2019, 2020, 2021, 2022, 2023} <= set(anchors["millesime"])


# -- one pair per commune ------------------------------------------------------------------

def test_without_insee_each_pair_is_one_millesime_and_the_newest_municipale_is_apart():
    b = built(2026)
    f = files(b)
    assert (f["communes"]["millesime"], f["membres-epci"]["millesime"],
            f["membres-ept"]["millesime"]) == (2023, 2022, 2023)
    assert b.millesimes["en_vigueur"] == 2023
    c = b.collectivites
    pairs = c.dropna(subset=["population_totale", "population_municipale"])
    assert (pairs["population_totale"] >= pairs["population_municipale"]).all()
    arboys = row(c, "COM", "01015")
    assert (arboys["population_totale"], arboys["population_municipale"],
            arboys["annee_population"]) == (3512, 3470, 2022)
    assert (arboys["population_municipale_autre"], arboys["annee_population_autre"]) == (
        3480, 2023)
    assert "populations totale et municipale 2022" in arboys["population_note"]
    assert "population municipale 2023" in arboys["population_note"]
    # Boulogne: the EPT member list has the pair of the millésime in force
    boulogne = row(c, "COM", "92012")
    assert boulogne["annee_population"] == 2023 and "EPT" in boulogne["population_note"]
    assert any("deux millésimes différents" in w for w in b.warnings)


def test_2022_uses_the_millesime_in_force_and_keeps_the_next_one_apart():
    b = built(2022)
    f = files(b)
    assert (f["communes"]["millesime"], f["membres-epci"]["millesime"]) == (2020, 2019)
    paris = row(b.collectivites, "COM", "75056")
    assert (paris["population_totale"], paris["annee_population"]) == (2182174, 2019)
    assert (paris["population_municipale_autre"], paris["annee_population_autre"]) == (
        2145906, 2020)
    assert "millésime suivant" in paris["population_note"]


def test_with_insee_of_the_millesime_in_force_the_pair_is_insee_s():
    insee = populations.for_cog(populations.parse_insee(INSEE / "donnees_communes_2023.csv"),
                                parts()["communes"]["code"].tolist(), parts()["former"])
    b = built(2026, insee, declared=2023)
    assert files(b)["insee"]["millesime"] == 2023
    c = b.collectivites
    arboys = row(c, "COM", "01015")
    assert (arboys["population_totale"], arboys["population_municipale"],
            arboys["annee_population"]) == (3530, 3480, 2023)
    brehat = row(c, "COM", "22016")        # in no EPCI: a totale only INSEE's file gives
    assert brehat["population_totale"] == 386
    cc = row(c, "CC", "200040350")         # sums of INSEE's figures of the millésime in force
    assert (cc["population_totale"], cc["annee_population"]) == (875 + 16321 + 3530, 2023)
    assert "Insee" in cc["population_note"]


def test_a_file_whose_figures_contradict_its_stated_millesime_is_not_taken_as_in_force():
    insee = populations.parse_insee(INSEE / "donnees_communes_2019.csv")
    b = built(2026, insee, declared=2023)
    assert files(b)["insee"]["millesime"] == 2019
    assert any("annoncé du millésime 2023" in w and "2019" in w for w in b.warnings)
    assert row(b.collectivites, "COM", "01015")["annee_population"] == 2022


# -- territories -----------------------------------------------------------------------------

def test_the_rhone_without_the_metropole_de_lyon_and_views_show_who_governs():
    p = parts(2026)
    extra = pd.DataFrame([{"code": "69029", "nom": "Belleville-en-Beaujolais",
                           "siren": "200071967", "departement": "69", "region": "84",
                           "zone": "metro", "population_municipale": 13000}])
    communes = pd.concat([p["communes"], extra], ignore_index=True).astype(
        {"population_municipale": "Int64"})
    b = build.build(2026, communes, p["epci"], p["ept"], p["terr"], p["sirens"])
    c = b.collectivites
    rhone = row(c, "DEP", "69")
    assert rhone["population_municipale"] == 13000            # Lyon (520 774) left out
    assert "hors Métropole de Lyon" in rhone["population_note"]
    assert b.commune_sets[("DEP", "69")] == ["69029"]
    assert row(c, "MET", "200046977")["territoires"] == "dep:69"
    assert row(c, "DEP", "6AE")["territoires"] == "dep:67 dep:68"
    assert row(c, "REG", "94")["territoires"] == "dep:2A dep:2B reg:94"
    view = filter_frame(c, Territory("DEP", "68"))
    assert "6AE" in set(view["code_insee"])                    # the CEA in the Haut-Rhin
    assert "94" in set(filter_frame(c, Territory("DEP", "2B"))["code_insee"])
    rhone_view = filter_frame(c, Territory("DEP", "69"))
    assert {"69", "200046977"} <= set(rhone_view["code_insee"])
    assert list(filter_frame(c, Territory("REG", "44"))["code_insee"]).count("6AE") == 1


# -- the obligation test on populations of two millésimes --------------------------------------

def _com(totale, municipale, year, autre=None, year_autre=None, vigueur=2023):
    return {"type": "COM", "population_totale": totale, "population_municipale": municipale,
            "annee_population": year, "population_municipale_autre": autre,
            "annee_population_autre": year_autre, "annee_population_vigueur": vigueur}


def test_newest_municipale_is_a_floor_and_disagreement_is_checked():
    df = pd.DataFrame([
        _com(3480, 3460, 2022, 3520, 2023),      # newer municipale ≥ 3 500: passes
        _com(3591, 3450, 2022, 3416, 2023),      # the two millésimes disagree around 3 500
        _com(3300, 3250, 2022, 3280, 2023),      # both below
        _com(3485, 3454, 2019, 3517, 2020, vigueur=2019),   # next millésime crosses
    ])
    legal = evaluate(df, "legal")
    odf = evaluate(df, "odf")
    assert odf["obligation"].tolist() == ["obligee", "a_verifier", "non_obligee",
                                          "non_obligee"]
    assert legal["obligation"].tolist() == ["a_verifier", "a_verifier", "non_obligee",
                                            "non_obligee"]
    assert legal["proche_seuil"].all()
    first, second, third, fourth = odf["motif"]
    assert f"3{NNBSP}520 habitants (population municipale 2023, INSEE ; la population totale " \
           "2023, au moins égale" in first
    assert "population municipale 2023 de 3\u202f416 habitants, sous 3\u202f500, mais " \
           "population totale 2022 de 3\u202f591" in second
    assert "(population totale 2022, INSEE ; population municipale 2023 : 3\u202f280)" in third
    assert "millésime suivant (2020, en vigueur au 1er janvier 2023) : 3\u202f517" in fourth
    assert "population totale 2019" in fourth
    why = legal["proche_seuil_motif"].iloc[1]
    assert "population municipale 2023 (3\u202f416)" in why and "au-dessus" in why


# -- the load: official file from a local server, or the fallback ------------------------------

@pytest.fixture
def fixture_mirror(tmp_path, env, monkeypatch):
    d = tmp_path / "mirror"
    shutil.copytree(MIRROR, d)
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(d))
    return d


def _load(settings_home) -> tuple[list[dict], list[str], dict]:
    from odlab_compliance.config import load_settings

    settings = load_settings()
    with db.connect(settings) as con:
        load_vintage(con, 2026, settings)
        rows = con.execute("SELECT code_insee, population_totale, annee_population "
                           "FROM ref_collectivite WHERE vintage = 2026 AND type = 'COM'"
                           ).df().set_index("code_insee").to_dict("index")
        warnings, pops = con.execute("SELECT warnings, populations FROM ref_load").fetchall()[0]
        fetched = dict(con.execute("SELECT source_id, origin FROM source_fetch").fetchall())
    return rows, json.loads(warnings), {"pops": json.loads(pops), "fetched": fetched}


def test_load_takes_insee_s_file_from_its_official_address(fixture_mirror, server,
                                                           monkeypatch):
    server.add(PATH_2023, Reply(200, insee_zip("donnees_communes_2023.csv"),
                                {"Content-Type": "application/zip"}))
    monkeypatch.setenv("ODLAB_BASE_URL_INSEE", server.url)
    rows, warnings, info = _load(fixture_mirror)
    assert server.hits(PATH_2023) == 1 and info["fetched"]["insee-populations-legales"] == \
        "download"
    assert rows["01015"] == {"population_totale": 3530, "annee_population": 2023}
    insee = next(f for f in info["pops"]["fichiers"] if f["cle"] == "insee")
    assert insee["millesime"] == 2023 and "Paris" in insee["preuve"]
    assert not any("Insee non obtenues" in w for w in warnings)


def test_load_without_insee_s_file_falls_back_and_says_so(fixture_mirror, server, monkeypatch):
    server.add(PATH_2023, Reply(404, b"introuvable"))
    monkeypatch.setenv("ODLAB_BASE_URL_INSEE", server.url)
    rows, warnings, info = _load(fixture_mirror)
    assert rows["01015"] == {"population_totale": 3512, "annee_population": 2022}
    assert any("Populations légales de l'Insee non obtenues" in w for w in warnings)
    assert "insee-populations-legales" not in info["fetched"]
    by_key = {f["cle"]: f["millesime"] for f in info["pops"]["fichiers"]}
    assert by_key == {"communes": 2023, "membres-epci": 2022, "membres-ept": 2023}


def test_offline_an_optional_source_missing_from_the_mirror_is_not_downloaded(
        fixture_mirror, monkeypatch):
    from odlab_compliance.config import load_settings
    from odlab_compliance.ingest.sources import OptionalSourceOffline, fetch, get_source

    monkeypatch.delenv("ODLAB_BASE_URL_INSEE", raising=False)   # the official address
    source = get_source("insee-populations-legales", 2026)
    with pytest.raises(OptionalSourceOffline, match="hors ligne, il n'est pas téléchargé"):
        fetch(source, load_settings(), optional=True)
    rows, warnings, _ = _load(fixture_mirror)
    assert any("Populations légales de l'Insee non obtenues" in w and "dossier miroir" in w
               for w in warnings)
    assert rows["01015"]["annee_population"] == 2022
