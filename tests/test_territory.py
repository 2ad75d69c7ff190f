"""Pure territory logic: hierarchy, URL keys, filtering, selector choices, size bands."""

from __future__ import annotations

import pandas as pd
import pytest

from odlab_compliance import territory as T


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


@pytest.mark.parametrize("pop,band", [(3499, "moins de 3 500 hab."), (3500, "3 500 à 9 999 hab."),
                                      (100000, "100 000 hab. et plus"), (None, None)])
def test_size_bands(pop, band):
    assert T.size_band(pop) == band


def test_from_cli_refuses_typos_and_levels_not_allowed():
    assert T.Territory.from_cli("dep:31") == T.Territory("DEP", "31")
    assert T.Territory.from_cli("fr") == T.Territory()
    with pytest.raises(ValueError, match="dept31"):
        T.Territory.from_cli("dept31")
    with pytest.raises(ValueError, match="reg:76, dep:31, epci"):
        T.Territory.from_cli("com:31555", ("REG", "DEP", "EPCI"))
