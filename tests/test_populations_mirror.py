"""On the national mirror: populations of one millésime, the 2022 EPT, and the views of
the départements whose powers another collectivité exerts (issue 9)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from odlab_compliance.db import connect
from odlab_compliance.model.figures import figures, rates
from odlab_compliance.model.obligation import obligations
from odlab_compliance.territory import Territory, filter_frame

pytestmark = [pytest.mark.mirror, pytest.mark.slow]
RULES = ("legal", "odf", "legal_hypothese_odf")


@pytest.fixture(scope="module")
def national(national_home):
    """The tables of the session's national database (reference 2026 and 2022, built once
    from the mirror through the command line, see conftest)."""
    with connect(path=national_home / "odlab.duckdb", read_only=True) as con:
        tables = {(v, r): obligations(con, v, r) for v in (2026, 2022) for r in RULES}
        loads = {int(v): json.loads(p) for v, p in con.execute(
            "SELECT vintage, populations FROM ref_load").fetchall()}
    return tables, loads


def _newest_municipale(com: pd.DataFrame) -> pd.Series:
    newer = com["annee_population_autre"].fillna(0) > com["annee_population"].fillna(0)
    return com["population_municipale_autre"].where(newer, com["population_municipale"])


def test_each_file_has_the_millesime_of_its_figures(national):
    _, loads = national
    got = {v: {f["cle"]: f["millesime"] for f in p["fichiers"]} for v, p in loads.items()}
    assert got[2026] == {"communes": 2023, "membres-epci": 2022, "membres-ept": 2023}
    assert got[2022] == {"communes": 2020, "membres-epci": 2019, "membres-ept": 2020}
    assert (loads[2026]["en_vigueur"], loads[2022]["en_vigueur"]) == (2023, 2019)


@pytest.mark.parametrize("rule", RULES)
def test_2026_no_commune_with_a_newest_municipale_at_3500_is_non_obligee(national, rule):
    df = national[0][(2026, rule)]
    com = df[df["type"].eq("COM")]
    above = com[_newest_municipale(com) >= 3500]
    assert len(above) > 3000
    assert not above["obligation"].eq("non_obligee").any()


@pytest.mark.parametrize("vintage", [2026, 2022])
def test_no_row_has_a_totale_below_its_municipale(national, vintage):
    df = national[0][(vintage, "legal")]
    pairs = df.dropna(subset=["population_totale", "population_municipale"])
    assert len(pairs) > 35_000
    assert (pairs["population_totale"] >= pairs["population_municipale"]).all()


def test_motifs_name_the_millesime_of_their_figures(national):
    df = national[0][(2026, "odf")].set_index(["type", "code_insee"])
    abergement = df.loc[("COM", "01001")]
    assert abergement["annee_population"] == 2022
    assert "population totale 2022" in abergement["motif"]
    assert "population municipale 2023" in abergement["motif"]
    paris = df.loc[("COM", "75056")]
    assert "2\u202f103\u202f778 habitants (population municipale 2023" in paris["motif"]
    assert "population totale 2023" not in df.loc[("CC", "200000172"), "motif"]


def test_disagreement_around_3500_is_to_be_checked_and_near(national):
    df = national[0][(2026, "legal_hypothese_odf")]
    com = df[df["type"].eq("COM")]
    split = com[(com["population_municipale_autre"] < 3500) & (com["population_totale"] >= 3500)
                & com["annee_population_autre"].eq(2023) & com["annee_population"].eq(2022)]
    assert len(split) > 20
    assert split["obligation"].eq("a_verifier").all() and split["proche_seuil"].all()


def test_2022_judged_with_its_millesime_in_force_the_next_one_said(national):
    df = national[0][(2022, "odf")]
    com = df[df["type"].eq("COM")]
    crossing = com[(com["population_municipale_autre"] >= 3500)
                   & (com["population_totale"] < 3500)]
    assert len(crossing) == 8
    assert crossing["obligation"].eq("non_obligee").all() and crossing["proche_seuil"].all()
    assert crossing["motif"].str.contains("millésime suivant (2020", regex=False).all()


def test_2022_has_the_11_ept(national):
    df = national[0][(2022, "legal")]
    assert df["type"].eq("EPT").sum() == 11


@pytest.mark.parametrize("vintage", [2026, 2022])
def test_haut_rhin_haute_corse_rhone_and_paris_show_who_governs(national, vintage):
    df = national[0][(vintage, "odf")]

    def governing(dep: str) -> set[str]:
        view = filter_frame(df, Territory("DEP", dep))
        return set(view.loc[~view["type"].isin(["COM", "CC", "CA", "CU"]), "nom"])

    assert "Collectivité européenne d'Alsace" in governing("68")
    assert "Collectivité européenne d'Alsace" in governing("67")
    assert "Collectivité de Corse" in governing("2B") and "Collectivité de Corse" in governing("2A")
    assert {"Rhône", "Métropole de Lyon"} <= governing("69")
    assert "Paris" in set(filter_frame(df, Territory("DEP", "75"))["nom"])
    rhone = df[df["type"].eq("DEP") & df["code_insee"].eq("69")].iloc[0]
    assert 400_000 < rhone["population_municipale"] < 550_000      # not 1.9 million
    assert "hors Métropole de Lyon" in rhone["population_note"]
    # counted once above the départements, in each département it governs below
    grand_est = filter_frame(df, Territory("REG", "44"))
    assert grand_est["nom"].eq("Collectivité européenne d'Alsace").sum() == 1
    assert df["siren"].dropna().is_unique
    per_dep = rates(grand_est, "DEP").set_index("code")
    for dep in ("67", "68"):
        view = filter_frame(df, Territory("DEP", dep))
        assert per_dep.loc[dep, "obligees"] == figures(view).obligees
