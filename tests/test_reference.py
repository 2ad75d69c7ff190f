"""Reference parsers and builders on small fixtures in the official shapes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from odlab_compliance.errors import InputError
from odlab_compliance.ingest.reference import build, cog, geometry, siren
from odlab_compliance.ingest.reference.jsonfile import load_json
from tests.conftest import FIXTURES

MIRROR = FIXTURES / "reference" / "mirror"


def _parsed(vintage: int = 2026) -> build.Built:
    d = MIRROR / f"cog-{vintage}"
    communes = cog.parse_communes(load_json(d / "communes.json"), d / "communes.json")
    epci = cog.parse_groups(load_json(d / "epci.json"), d / "epci.json")
    ept = (cog.parse_groups(load_json(d / "ept.json"), d / "ept.json")
           if (d / "ept.json").exists() else None)
    terr = cog.parse_territoires(load_json(d / "departements.json"), d / "departements.json",
                                 load_json(d / "regions.json"), d / "regions.json")
    sirens = siren.parse_siren_table(MIRROR / "siren" / "departements-regions-siren.csv")
    return build.build(vintage, communes, epci, ept, terr, sirens)


def _row(df: pd.DataFrame, type_: str, code: str) -> pd.Series:
    rows = df[df["type"].eq(type_) & df["code_insee"].eq(code)]
    assert len(rows) == 1, (type_, code, len(rows))
    return rows.iloc[0]


def _write_lines(path: Path, entries: list[object]) -> Path:
    path.write_text("[\n" + ",\n".join(json.dumps(e) for e in entries) + "\n]\n",
                    encoding="utf-8")
    return path


def test_only_current_communes_are_kept_with_string_codes():
    path = MIRROR / "cog-2026" / "communes.json"
    df = cog.parse_communes(load_json(path), path)
    assert "01340" not in set(df["code"])            # a commune déléguée
    assert "69381" not in set(df["code"])            # an arrondissement municipal
    assert df["code"].is_unique                      # 01015 actuelle + déléguée: one row
    assert _row(df.assign(type="COM", code_insee=df["code"]), "COM", "2A004")["nom"] == "Ajaccio"
    assert all(isinstance(c, str) for c in df["code"])


def test_counts_and_types():
    b = _parsed()
    counts = b.collectivites["type"].value_counts().to_dict()
    assert counts == {"COM": 12, "CA": 4, "CC": 1, "MET": 3, "EPT": 1, "DEP": 6, "REG": 6}
    assert b.collectivites.set_index(["type", "code_insee"]).index.is_unique
    # Figures of two millésimes (the EPCI member lists are a year older than the commune
    # list): each row's pair is of one millésime, the one it says.
    com = b.collectivites[b.collectivites["type"].eq("COM")]
    assert set(com["annee_population"]) == {2022, 2023}
    assert set(b.collectivites["annee_population_vigueur"]) == {2023}
    assert any("1 communes des collectivités d'outre-mer" in w for w in b.warnings)
    assert "97502" not in set(b.collectivites["code_insee"])
    # the fixture's Arboys-en-Bugey carries a SIREN failing the Luhn key: said, not fatal
    assert any("SIREN invalide" in w and "200061266" in w for w in b.warnings)


def test_collectivites_a_statut_particulier_have_one_row():
    c = _parsed().collectivites
    paris = _row(c, "COM", "75056")
    assert paris["statut_particulier"] == "Ville de Paris" and paris["siren"] == "217500016"
    assert not (c["type"].eq("DEP") & c["code_insee"].eq("75")).any()
    corse = _row(c, "REG", "94")
    assert corse["siren"] == "200076958" and corse["departement"] == "2A"
    assert not c["code_insee"].isin(["2A", "2B"]).any()
    cea = _row(c, "DEP", "6AE")
    assert cea["siren"] == "200094332" and cea["region"] == "44"
    assert cea["population_municipale"] == 291313 + 67730
    assert pd.isna(cea["population_totale"]) and "somme" in cea["population_note"]
    assert not c["code_insee"].isin(["67", "68"]).any()
    mayotte = _row(c, "DEP", "976")
    assert mayotte["region"] == "06" and mayotte["statut_particulier"] == "Département de Mayotte"
    assert not (c["type"].eq("REG") & c["code_insee"].eq("06")).any()
    martinique = _row(c, "REG", "02")
    assert martinique["siren"] == "200055507" and martinique["departement"] == "972"
    lyon = _row(c, "MET", "200046977")
    assert lyon["statut_particulier"] == build.LYON_LABEL
    assert _row(c, "DEP", "69")["siren"] == "226900017"   # the Rhône stays a département


def test_territories_keep_67_68_and_name_who_governs_them():
    t = _parsed().territoires.set_index(["niveau", "code"])
    assert t.loc[("DEP", "67"), "collectivite_code"] == "6AE"
    assert t.loc[("DEP", "75"), ["collectivite_type", "collectivite_code"]].tolist() == [
        "COM", "75056"]
    assert t.loc[("REG", "06"), "collectivite_code"] == "976"
    assert t.loc[("DEP", "01"), "collectivite_code"] == "01"
    assert ("DEP", "975") not in t.index


def test_populations_and_memberships():
    c = _parsed().collectivites
    amberieu = _row(c, "COM", "01004")
    assert amberieu["population_totale"] == 16321 and amberieu["population_municipale"] == 15934
    assert amberieu["epci_siren"] == "200040350" and pd.isna(amberieu["ept_siren"])
    brehat = _row(c, "COM", "22016")   # in no EPCI: no population totale, and it says why
    assert pd.isna(brehat["population_totale"]) and brehat["population_municipale"] == 381
    assert "aucun EPCI" in brehat["population_note"]
    boulogne = _row(c, "COM", "92012")
    assert boulogne["ept_siren"] == "200057974" and boulogne["epci_siren"] == "200054781"
    gpso = _row(c, "EPT", "200057974")
    assert gpso["population_totale"] == 121305 and gpso["region"] == "11"
    cc = _row(c, "CC", "200040350")
    assert cc["departement"] == "01" and cc["population_totale"] == 16321 + 3512 + 875


def test_2022_has_its_ept_and_warns_without_an_ept_file():
    b = _parsed(2022)
    assert set(b.collectivites.loc[b.collectivites["type"].eq("EPT"), "code_insee"]) == {
        "200057974"}
    assert set(b.collectivites["annee_population_vigueur"]) == {2019}
    d = MIRROR / "cog-2022"
    communes = cog.parse_communes(load_json(d / "communes.json"), d / "communes.json")
    epci = cog.parse_groups(load_json(d / "epci.json"), d / "epci.json")
    terr = cog.parse_territoires(load_json(d / "departements.json"), d / "departements.json",
                                 load_json(d / "regions.json"), d / "regions.json")
    sirens = siren.parse_siren_table(MIRROR / "siren" / "departements-regions-siren.csv")
    without = build.build(2022, communes, epci, None, terr, sirens)
    assert "EPT" not in set(without.collectivites["type"])
    assert any("Pas de fichier des EPT" in w for w in without.warnings)


def test_numeric_commune_code_is_refused_with_file_and_line(tmp_path):
    path = _write_lines(tmp_path / "communes.json", [
        {"code": "01001", "nom": "A", "type": "commune-actuelle", "zone": "metro"},
        {"code": 1004, "nom": "B", "type": "commune-actuelle", "zone": "metro"},
    ])
    with pytest.raises(InputError) as exc:
        cog.parse_communes(load_json(path), path)
    text = str(exc.value)
    assert str(path) in text and "ligne 3" in text and "entrée n° 2" in text
    assert "nombre" in text


def test_numeric_member_code_in_epci_file_is_refused(tmp_path):
    path = _write_lines(tmp_path / "epci.json", [
        {"code": "200040350", "nom": "CC", "type": "CC", "membres": [
            {"code": "01004", "nom": "A"}, {"code": 1001, "nom": "B"}]}])
    with pytest.raises(InputError) as exc:
        cog.parse_groups(load_json(path), path)
    assert "ligne 2" in str(exc.value) and "membre n° 2" in str(exc.value)


def test_malformed_json_names_line_and_column(tmp_path):
    path = tmp_path / "communes.json"
    path.write_text('[\n{"code": "01001", "nom": "A"},\n{"code": "01002" "nom": "B"}\n]\n',
                    encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_json(path)
    assert "JSON invalide" in str(exc.value) and "ligne 3" in str(exc.value)
    assert "colonne" in str(exc.value)


def test_siren_table_errors_and_excel_variants(tmp_path):
    bad = tmp_path / "a.csv"
    bad.write_text("niveau,code,siren\nregion,94,200076958\n", encoding="utf-8")
    with pytest.raises(InputError, match="code_insee"):
        siren.parse_siren_table(bad)
    bad.write_text("niveau,code_insee,siren\nregion,94,200076959\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        siren.parse_siren_table(bad)
    assert "ligne 2" in str(exc.value) and "clé de contrôle" in str(exc.value)
    excel = tmp_path / "b.csv"
    excel.write_bytes("niveau;code_insee;nom_cog;siren\nregion;11;Île-de-France;237500079\n"
                      .encode("cp1252"))
    df = siren.parse_siren_table(excel)
    assert df.iloc[0].tolist() == ["REG", "11", "237500079", None]


def test_geojson_gz_keyed_by_code_and_numeric_code_refused(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "01001", "nom": "A"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
    gz = tmp_path / "communes-100m.geojson.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        json.dump(fc, fh)
    gdf = geometry.read_geojson(gz)
    assert gdf["code"].tolist() == ["01001"] and gdf["nom"].tolist() == ["A"]
    fc["features"][0]["properties"]["code"] = 1001
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(fc), encoding="utf-8")
    with pytest.raises(InputError, match="entité n° 1"):
        geometry.read_geojson(bad)


def test_mirror_epci_outlines_use_epci_siren():
    gdf = geometry.read_geojson(MIRROR / "geo" / "epci-2026-simplifiees.geojson")
    assert "200046977" in set(gdf["code"])


def test_shared_border_simplified_without_gap_or_overlap():
    gdf = geometry.read_geojson(MIRROR / "geo" / "communes-2026-simplifiees.geojson")
    pair = gdf[gdf["code"].isin(["01001", "01004"])].reset_index(drop=True)
    before = shapely.get_num_coordinates(pair.geometry.to_numpy()).sum()
    out = geometry.simplify(pair, 0.01)
    a, b = out.geometry.to_numpy()
    assert shapely.get_num_coordinates(out.geometry.to_numpy()).sum() < before  # simplified
    assert shapely.intersection(a, b).area == pytest.approx(0, abs=1e-12)      # no overlap
    hull = shapely.union_all(pair.geometry.to_numpy())
    assert shapely.union_all([a, b]).area == pytest.approx(hull.area, rel=1e-9)  # no gap
    assert out["code"].tolist() == ["01001", "01004"]


def test_former_codes_rekey_and_centroids_inside():
    path = MIRROR / "cog-2026" / "communes.json"
    former = cog.parse_former_codes(load_json(path))
    gdf = geometry.read_geojson(MIRROR / "geo" / "communes-2026-simplifiees.geojson")
    out, n = geometry.rekey(gdf, former)
    assert n == 1 and "01015" in set(out["code"]) and "01340" not in set(out["code"])
    ring = gpd.GeoDataFrame({"code": ["X"], "nom": [None]}, geometry=[
        shapely.Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], [[(0.5, 0.5), (2.5, 0.5),
                                                            (2.5, 2.5), (0.5, 2.5)]])])
    c = geometry.centroids(ring).iloc[0]
    assert ring.geometry.iloc[0].contains(shapely.Point(c["lon"], c["lat"]))
