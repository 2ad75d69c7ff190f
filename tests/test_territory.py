"""Pure territory logic: hierarchy, filtering, aggregates, ranking, similar collectivités."""

from __future__ import annotations

import pandas as pd
import pytest

from odlab_compliance import territory as T
from tests.fixtures.dashboard import build_db


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    return build_db.reference_rows()


@pytest.fixture(scope="module")
def terr() -> pd.DataFrame:
    return pd.read_csv(build_db.HERE / "territories.csv", sep=";", dtype=str)


@pytest.fixture
def frame(ref) -> pd.DataFrame:
    """A status table: communes under 3 500 inhabitants not obliged, two publishers."""
    df = ref.copy()
    df["obligation"] = ["non_obligee" if (t == "COM" and p < 3500) else "obligee"
                        for t, p in zip(df["type"], df["population_totale"], strict=True)]
    statut = {"213105554": "publie", "213100696": "publie_via_tiers", "213100440": "inconnu"}
    df["statut"] = df["siren"].map(statut).fillna("non_publie")
    return df


@pytest.mark.parametrize("text,expected", [
    ("fr", T.Territory()), ("", T.Territory()), (None, T.Territory()),
    ("dep:31", T.Territory("DEP", "31")), ("DEP:2A", T.Territory("DEP", "2A")),
    ("epci:243100518", T.Territory("EPCI", "243100518")),
    ("com:31555", T.Territory("COM", "31555")),
    ("dep:<script>", T.Territory()), ("pays:FR", T.Territory()), ("dep:", T.Territory()),
])
def test_parse_url_keys(text, expected):
    assert T.Territory.parse(text) == expected


def test_key_round_trip():
    for t in (T.Territory(), T.Territory("REG", "76"), T.Territory("COM", "2A004")):
        assert T.Territory.parse(t.key) == t


def other_region() -> pd.DataFrame:
    """Three collectivités of Île-de-France, so that a région filter has something to drop."""
    return pd.DataFrame({
        "siren": ["237500079", "217500016", "200054781"], "code_insee": ["11", "75056", None],
        "nom": ["Région Île-de-France", "Paris", "Métropole du Grand Paris"],
        "type": ["REG", "COM", "MET"], "departement": [None, "75", "75"],
        "region": ["11", "11", "11"], "epci_siren": [None, "200054781", None],
        "population_totale": [12_300_000, 2_100_000, 7_100_000],
        "obligation": ["obligee"] * 3, "statut": ["publie", "publie", "non_publie"]})


def test_filter_by_level(frame):
    both = pd.concat([frame, other_region()], ignore_index=True)
    assert len(T.filter_frame(both, T.FRANCE)) == len(both)
    reg = T.filter_frame(both, T.Territory("REG", "76"))
    assert len(reg) == len(frame) and set(reg["region"]) == {"76"}
    idf = T.filter_frame(both, T.Territory("REG", "11"))
    assert set(idf["nom"]) == {"Région Île-de-France", "Paris", "Métropole du Grand Paris"}
    dep = T.filter_frame(frame, T.Territory("DEP", "09"))
    assert set(dep["nom"]) == {"Département de l'Ariège", "CA Pays Ariégeois", "Foix", "Pamiers",
                               "Hameau-Test"}
    epci = T.filter_frame(frame, T.Territory("EPCI", "243100518"))
    assert "Toulouse Métropole" in set(epci["nom"]) and len(epci) == 6
    com = T.filter_frame(frame, T.Territory("COM", "31555"))
    assert list(com["nom"]) == ["Toulouse"]


def test_summary_counts_and_rates(frame):
    s = T.summary(frame)
    assert s["obligees"] == 14
    assert s["publiant"] == 2 and s["publie_via_tiers"] == 1
    assert s["inconnu"] == 1
    # inconnu is left out of the denominator: 2 publish among 13 known.
    assert s["taux"] == pytest.approx(2 / 13)
    # Population covered: communes only (Toulouse + Blagnac among obliged communes).
    communes = frame[(frame["type"] == "COM") & (frame["obligation"] == "obligee")]
    expected = (511684 + 26142) / communes["population_totale"].sum()
    assert s["couverture"] == pytest.approx(expected)


def test_summary_without_status_column(frame):
    s = T.summary(frame.drop(columns="statut"))
    assert s["obligees"] == 14 and s["taux"] is None and s["inconnu"] == 14


def test_summary_of_nothing(frame):
    s = T.summary(frame.iloc[0:0])
    assert s["obligees"] == 0 and s["taux"] is None and s["couverture"] is None


def test_by_type_families(frame):
    bt = T.by_type(frame).set_index("famille")
    assert list(bt.index) == ["COM", "EPCI", "DEP", "REG"]
    assert bt.loc["EPCI", "obligees"] == 3   # MET + CC + CA
    assert bt.loc["COM", "obligees"] == 8


def test_ranking_of_sub_territories(frame):
    both = pd.concat([frame, other_region()], ignore_index=True)
    rank = T.ranking(both, T.Territory("REG", "76"), {"31": "Haute-Garonne", "09": "Ariège",
                                                      "75": "Paris"})
    assert list(rank["nom"]) == ["Haute-Garonne", "Ariège"]      # not Paris, of another région
    assert rank.iloc[1]["taux"] == 0.0
    epcis = T.ranking(frame, T.Territory("DEP", "31"))
    assert set(epcis["code"]) == {"243100518", "200000001"}
    communes = T.ranking(frame, T.Territory("EPCI", "243100518"))
    assert communes.iloc[0]["nom"] in {"Toulouse", "Blagnac"}
    assert T.ranking(frame, T.Territory("COM", "31555")).empty


def test_children_and_lineage(ref, terr):
    assert T.children(ref, terr, "REG", {}) == {"76": "Occitanie"}
    assert list(T.children(ref, terr, "DEP", {"REG": "76"})) == ["09", "31"]
    assert T.children(ref, terr, "EPCI", {"REG": "76", "DEP": "31"}) == {
        "200000001": "CC des Coteaux du Girou", "243100518": "Toulouse Métropole"}
    assert "31555" in T.children(ref, terr, "COM", {"DEP": "31", "EPCI": "243100518"})
    assert T.children(ref, terr, "COM", {}) == {}
    assert T.lineage(ref, T.Territory("COM", "31069")) == {
        "COM": "31069", "DEP": "31", "REG": "76", "EPCI": "243100518"}
    assert T.lineage(ref, T.Territory("EPCI", "200000002")) == {
        "EPCI": "200000002", "DEP": "09", "REG": "76"}
    assert T.name_of(ref, terr, T.Territory("DEP", "09")) == "Ariège"
    assert T.name_of(ref, terr, T.Territory("DEP", "99")) == "Département 99"


def test_similar_collectivites(frame):
    peers = T.similar(frame, "213100696")   # Blagnac, 26 142 inhabitants
    assert "213100696" not in set(peers["siren"])
    assert set(peers["type"]) == {"COM"}
    assert all(T.size_band(p) == "20 000 à 49 999 hab." for p in peers["population_totale"])
    assert T.similar(frame, "000000000").empty


@pytest.mark.parametrize("pop,band", [(3499, "moins de 3 500 hab."), (3500, "3 500 à 9 999 hab."),
                                      (100000, "100 000 hab. et plus"), (None, None)])
def test_size_bands(pop, band):
    assert T.size_band(pop) == band


def test_trend_one_row_per_snapshot(frame):
    older = frame.assign(statut="non_publie")
    tr = T.trend({"2021": older, "2026": frame}, T.Territory("DEP", "31"))
    assert list(tr["snapshot"]) == ["2021", "2026"]
    assert tr.iloc[0]["publiant"] == 0 and tr.iloc[1]["publiant"] == 2


def test_from_cli_refuses_typos_and_levels_not_allowed():
    assert T.Territory.from_cli("dep:31") == T.Territory("DEP", "31")
    assert T.Territory.from_cli("fr") == T.Territory()
    with pytest.raises(ValueError, match="dept31"):
        T.Territory.from_cli("dept31")
    with pytest.raises(ValueError, match="reg:76, dep:31, epci"):
        T.Territory.from_cli("com:31555", ("REG", "DEP", "EPCI"))
