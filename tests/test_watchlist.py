"""The watch list on rows with known answers, and who crossed a threshold between two
vintages."""

from __future__ import annotations

import pandas as pd

from odlab_compliance import vocab
from odlab_compliance.analysis import watchlist
from odlab_compliance.model.obligation import evaluate


def rows() -> pd.DataFrame:
    base = {"type": "COM", "departement": "31", "region": "76", "annee_population": 2023,
            "annee_population_vigueur": 2023, "agents_annee": 2023}
    data = [
        # at 3,480 (totale 2022) with a newer municipale (2023) of 3,520
        {"siren": "A", "nom": "Seuil-Millésime", "population_totale": 3480,
         "population_municipale": 3450, "annee_population": 2022,
         "population_municipale_autre": 3520, "annee_population_autre": 2023},
        # 9,000 inhabitants, Sirene band 12 (20 to 49 salariés)
        {"siren": "B", "nom": "Tranche-Douze", "population_totale": 9000,
         "population_municipale": 8900, "agents_tranche": "12", "agents_min": 20,
         "agents_max": 49, "agents_source": "sirene"},
        # an exact count of 49 from the prefecture
        {"siren": "C", "nom": "Quarante-Neuf", "population_totale": 12000,
         "population_municipale": 11800, "agents_min": 49, "agents_max": 49,
         "agents_source": "prefecture", "agents_annee": 2025},
        {"siren": "D", "nom": "Loin-Des-Seuils", "population_totale": 20000,
         "population_municipale": 19700, "agents_tranche": "22", "agents_min": 100,
         "agents_max": 199, "agents_source": "sirene"},
        {"siren": "E", "nom": "Petite", "population_totale": 800,
         "population_municipale": 790},
        {"siren": "F", "nom": "CC Vingt-Et-Un", "type": "CC", "population_totale": 15000,
         "population_municipale": 14800, "agents_tranche": "21", "agents_min": 50,
         "agents_max": 99, "agents_source": "sirene"},
    ]
    return pd.DataFrame([{**base, **r} for r in data])


def test_watch_list_with_known_answers():
    df = evaluate(rows(), "legal")
    got = watchlist.watch_list(df).set_index("siren")
    assert sorted(got.index) == ["A", "B", "C", "F"]
    assert got.loc["A", "veille"] == f"{vocab.VEILLE_POPULATION} {vocab.VEILLE_MILLESIMES}"
    assert got.loc["B", "veille"] == vocab.VEILLE_TRANCHE
    assert got.loc["C", "veille"] == vocab.VEILLE_DECOMPTE
    assert got.loc["F", "veille"] == vocab.VEILLE_TRANCHE
    assert "la population totale 2023" in got.loc["A", "ce_qui_changerait"]
    assert "millésime 2024 des populations légales (publié fin décembre 2026, en vigueur au " \
           "1er janvier 2027)" in got.loc["A", "ce_qui_changerait"]
    assert "décompte exact des agents en équivalents temps plein" in \
        got.loc["B", "ce_qui_changerait"]
    assert got.loc["C", "ce_qui_changerait"] == "le décompte 2026 de la préfecture"
    assert got.loc["A", "veille_libelle"] == ("Population proche de 3 500 ; Mesures de part "
                                              "et d'autre de 3 500")
    # the answers they are near: A passes on its newer municipale, B and C are under 50
    assert got.loc["A", "obligation"] == "a_verifier"        # counts unknown (legal)
    assert got.loc["B", "obligation"] == got.loc["C", "obligation"] == "non_obligee"
    only = watchlist.on_watch_list(df, only=[vocab.VEILLE_DECOMPTE])
    assert df.loc[only, "siren"].tolist() == ["C"]


def test_crossings_between_two_vintages():
    before = rows()
    after = before.copy()
    after.loc[after["siren"].eq("A"), ["population_totale", "population_municipale",
                                       "annee_population", "population_municipale_autre",
                                       "annee_population_autre"]] = [3560, 3520, 2023, None,
                                                                     None]
    before.loc[before["siren"].eq("A"), "annee_population_vigueur"] = 2022
    after.loc[after["siren"].eq("B"), ["agents_tranche", "agents_min", "agents_max"]] = [
        "21", 50, 99]
    after.loc[after["siren"].eq("E"), "population_totale"] = 900
    got = watchlist.crossings(before, after).set_index("siren")
    assert sorted(got.index) == ["A", "B"]
    assert got.loc["A", "seuil"] == "habitants"
    assert got.loc["A", "seuil_franchi"] == (
        "3\u202f480 habitants (population totale 2022) → 3\u202f560 habitants (population "
        "totale 2023) : passe au-dessus de 3\u202f500 habitants")
    assert got.loc["B", "seuil_franchi"] == "effectif : passe à au moins 50 agents"
