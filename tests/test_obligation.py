"""The obligation engine on fixture rows: every edge case of the legal test, per rule,
and the wording of the motifs."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from odlab_compliance.db import connect
from odlab_compliance.fmt import NNBSP
from odlab_compliance.model.obligation import (
    OUTPUT_COLUMNS,
    VintageNotLoaded,
    evaluate,
    get_rule,
    list_rules,
    obligations,
)
from tests.conftest import FIXTURES

HERE = FIXTURES / "obligation"


def read_fixture(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / name, sep=";", dtype=str, keep_default_na=False).replace("", None)


def load_fixtures(con: duckdb.DuckDBPyConnection) -> None:
    """Write the fixture rows into ``ref_collectivite`` and ``agents`` (DuckDB casts)."""
    for table, name in (("ref_collectivite", "ref_collectivite.csv"), ("agents", "agents.csv")):
        con.register("fixture_rows", read_fixture(name))
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM fixture_rows")
        con.unregister("fixture_rows")


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, pd.DataFrame]:
    path = tmp_path_factory.mktemp("obligation") / "t.duckdb"
    with connect(path=path) as con:
        load_fixtures(con)
        return {r.id: obligations(con, 2026, r.id) for r in list_rules()}


def _row(df: pd.DataFrame, code: str, kind: str) -> pd.Series:
    match = df[(df["code_insee"] == code) & (df["type"] == kind)]
    assert len(match) == 1, (code, kind)
    return match.iloc[0]


EXPECTED = read_fixture("expected.csv")


@pytest.mark.parametrize("case", EXPECTED.to_dict("records"),
                         ids=lambda c: f"{c['rule']}-{c['type']}-{c['code_insee']}")
def test_expected_results(results, case):
    row = _row(results[case["rule"]], case["code_insee"], case["type"])
    got = (row["obligation"], bool(row["proche_seuil"]), bool(row["hypothese"]))
    want = (case["obligation"], case["proche_seuil"] == "true", case["hypothese"] == "true")
    assert got == want, row["motif"]


def test_every_row_has_a_result_and_a_motif(results):
    for df in results.values():
        assert len(df) == 19                     # vintage 2026 only
        assert df["obligation"].isin(["obligee", "non_obligee", "a_verifier"]).all()
        assert df["motif"].str.len().min() > 20
        assert not df["motif"].str.contains("nan|None|<NA>").any()


def test_columns_contract(results):
    df = results["legal"]
    assert tuple(df.columns[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert {"agents_max", "statut_particulier", "ept_siren", "hypothese", "regle"} <= set(df.columns)
    assert df["code_insee"].tolist().count("2A004") == 1
    assert _row(df, "01001", "COM")["siren"] == "210100012"
    assert str(df["population_totale"].dtype) == "Int64"


def test_order_regions_first_communes_last(results):
    types = results["legal"]["type"].tolist()
    assert types[0] == "REG" and types[-1] == "COM"


def test_prefecture_count_overrides_the_band(results):
    legal = results["legal"]
    up = _row(legal, "01008", "COM")
    assert (up["agents_source"], up["agents_min"], up["obligation"]) == ("prefecture", 62, "obligee")
    assert "62 agents (décompte de la préfecture, 2024" in up["motif"]
    down = _row(legal, "01009", "COM")
    assert (down["agents_source"], down["obligation"]) == ("prefecture", "non_obligee")
    assert "30 agents (décompte de la préfecture, 2024" in down["motif"]


def test_motif_obligee_gives_figures_sources_and_years(results):
    motif = _row(results["legal"], "01003", "COM")["motif"]
    assert motif == (f"Obligée : 3{NNBSP}520 habitants (population totale 2023, INSEE) "
                     f"≥ 3{NNBSP}500 et 100 à 199 salariés (tranche Sirene 22, 2023 : effectif salarié, pas en équivalent temps plein) "
                     "≥ 50.")


def test_motif_below_population_threshold_explains_and(results):
    motif = _row(results["legal"], "01001", "COM")["motif"]
    assert motif.startswith(f"Non obligée : 3{NNBSP}499 habitants (population totale 2023, "
                            f"INSEE), sous le seuil de 3{NNBSP}500, même avec 50 à 99 salariés")
    assert "pas l'une ou l'autre" in motif


def test_motif_few_agents_explains_and_not_or(results):
    motif = _row(results["legal"], "01007", "COM")["motif"]
    assert ("mais 20 à 49 salariés (tranche Sirene 12, 2023 : effectif salarié, pas en équivalent temps plein), sous le seuil "
            "de 50") in motif
    assert "il faut les deux conditions (3 500 habitants et 50 agents)" in motif.replace(NNBSP, " ")


def test_motif_unknown_band(results):
    assert _row(results["legal"], "01005", "COM")["motif"] == (
        f"À vérifier : 8{NNBSP}200 habitants (population totale 2023, INSEE) ≥ 3{NNBSP}500, "
        "mais effectif inconnu (tranche Sirene NN, 2023).")
    assert "aucune donnée d'effectif" in _row(results["legal"], "01006", "COM")["motif"]


def test_motif_municipale_used_only_when_totale_missing(results):
    row = _row(results["legal"], "01004", "COM")
    assert "3\u202f600 habitants (population municipale 2023, INSEE, faute de population totale)" \
        in row["motif"]
    assert "population municipale" not in _row(results["legal"], "01003", "COM")["motif"]


def test_near_threshold_says_why(results):
    row = _row(results["legal"], "01003", "COM")
    assert ("population municipale 2023 (3\u202f480) sous le seuil, population totale 2023 "
            "(3\u202f520) au-dessus") in row["proche_seuil_motif"]
    assert "tranche Sirene 21" in _row(results["legal"], "2A004", "COM")["proche_seuil_motif"]


def test_grouping_wording_and_assumption_said(results):
    cc = _row(results["legal"], "200000180", "CC")["motif"]
    assert cc.startswith("À vérifier : communauté de communes de 15\u202f000 habitants")
    assert "effectif inconnu (tranche Sirene NN, 2023)" in cc
    odf = _row(results["odf"], "200000180", "CC")["motif"]
    assert "hypothèse de l'Observatoire, qui n'est pas la loi" in odf
    dep = _row(results["legal"], "01", "DEP")["motif"]
    assert dep.startswith("Obligée : département, au-delà de 3\u202f500 habitants comme tout "
                          "département")
    assert "1\u202f000 à 1\u202f999 salariés (tranche Sirene 42, 2023" in dep
    # An intercommunality is not a collectivité territoriale: the population threshold
    # is not what lets it in (issue 9: "comme toute intercommunalité" was the wrong reason).
    assert "ne vise que les collectivités territoriales, pas les intercommunalités" in cc
    assert "comme toute intercommunalité" not in cc


def test_odf_assumption_is_flagged_in_every_obliged_motif(results):
    odf = results["odf"]
    obliged = odf[odf["obligation"] == "obligee"]
    assert obliged["motif"].str.contains("pas la loi").all()
    assert obliged["hypothese"].all()
    legal = results["legal"]
    assert not legal["motif"].str.contains("hypothèse").any()


def test_vintage_not_loaded_names_the_command(tmp_path):
    with connect(path=tmp_path / "t.duckdb") as con:
        load_fixtures(con)
        with pytest.raises(VintageNotLoaded) as exc:
            obligations(con, 2024, "legal")
    msg = str(exc.value)
    assert "millésime 2024" in msg and "2026, 2022" in msg
    assert "reference update --vintage 2024" in msg


def test_unknown_rule_is_a_french_key_error():
    with pytest.raises(KeyError, match="règle inconnue"):
        get_rule("loi")


def test_evaluate_is_pure_and_accepts_minimal_frames():
    df = pd.DataFrame({"type": ["COM", "COM"], "population_totale": [3500, None]})
    before = df.copy()
    out = evaluate(df, "legal")
    pd.testing.assert_frame_equal(df, before)
    assert out["obligation"].tolist() == ["a_verifier", "a_verifier"]
    assert evaluate(df.iloc[:0], "legal").columns[-1] == "regle"


def test_exact_count_within_margin_is_near():
    df = pd.DataFrame({"type": ["COM"] * 3, "population_totale": [10000] * 3,
                       "agents_min": [40, 61, 50], "agents_max": [40, 61, 50],
                       "agents_source": ["prefecture"] * 3})
    out = evaluate(df, "legal")
    assert out["proche_seuil"].tolist() == [True, False, True]
    assert out["obligation"].tolist() == ["non_obligee", "obligee", "obligee"]


def test_collectivites_with_special_status_are_named():
    df = pd.DataFrame({"type": ["MET", "REG"], "statut_particulier": ["Métropole de Lyon", None],
                       "population_totale": [1_400_000, None],
                       "population_municipale": [None, 12_463_067],
                       "agents_tranche": ["53", "NN"], "agents_annee": [2023, 2023],
                       "agents_source": ["sirene", "sirene"]})
    lyon, idf = evaluate(df, "legal")["motif"]
    assert lyon == ("Obligée : Métropole de Lyon de 1\u202f400\u202f000 habitants (population "
                    "totale), au-delà de 3\u202f500 habitants comme toute collectivité à statut "
                    "particulier et 10\u202f000 salariés ou plus (tranche Sirene 53, 2023 : effectif salarié, pas en équivalent temps plein) "
                    "≥ 50.")
    assert idf.startswith("À vérifier : région de 12\u202f463\u202f067 habitants (population "
                          "municipale, somme de ses communes), au-delà de 3\u202f500 habitants "
                          "comme toute région")


@pytest.mark.parametrize(("tranche", "source", "obligation", "words"), [
    # 0 to 2 salariés for 9,000 inhabitants: more likely a gap in Sirene than a fact.
    ("00", "sirene", "a_verifier", "aucun salarié déclaré (tranche Sirene 00, 2023 : effectif salarié, pas en équivalent temps plein), "
                                   "improbable"),
    ("01", "sirene", "a_verifier", "1 à 2 salariés (tranche Sirene 01, 2023 : effectif salarié, pas en équivalent temps plein), improbable"),
    ("21", "recherche_entreprises", "obligee", "50 à 99 salariés (tranche Sirene 21, 2023 : effectif salarié, pas en équivalent temps plein)"),
    ("99", "sirene", "a_verifier", "effectif inconnu (tranche Sirene « 99 » non reconnue)"),
    (None, "sirene", "a_verifier", "effectif inconnu (tranche Sirene vide, 2023)"),
    ("NN", "sirene", "a_verifier", "effectif inconnu (tranche Sirene NN, 2023)"),
])
def test_band_wording(tranche, source, obligation, words):
    df = pd.DataFrame({"type": ["COM"], "population_totale": [9000], "annee_population": [2023],
                       "agents_tranche": [tranche], "agents_annee": [2023],
                       "agents_source": [source]})
    row = evaluate(df, "legal").iloc[0]
    assert row["obligation"] == obligation
    assert words in row["motif"]


def test_unknown_population_but_few_agents_is_not_obliged():
    df = pd.DataFrame({"type": ["COM"], "agents_tranche": ["11"], "agents_annee": [2023],
                       "agents_source": ["sirene"]})
    row = evaluate(df, "legal").iloc[0]
    assert row["obligation"] == "non_obligee"
    assert row["motif"] == ("Non obligée : 10 à 19 salariés (tranche Sirene 11, 2023 : effectif salarié, pas en équivalent temps plein), "
                            "sous le seuil de 50 (population inconnue).")


def test_improbable_band_is_checked_not_presumed_and_only_above_the_threshold():
    df = pd.DataFrame({"type": ["COM", "COM", "CC"], "population_totale": [9000, 2000, 15000],
                       "annee_population": [2023] * 3, "agents_tranche": ["00", "00", "01"],
                       "agents_annee": [2023] * 3, "agents_source": ["sirene"] * 3})
    for rule in ("legal", "legal_hypothese_odf"):
        out = evaluate(df, rule)
        assert out["obligation"].tolist() == ["a_verifier", "non_obligee", "a_verifier"], rule
        assert not out["hypothese"].any()
    assert "un décompte de la préfecture ou de la collectivité tranchera" in \
        evaluate(df, "legal")["motif"].iloc[0]
    # the Observatoire's rule does not look at counts at all
    assert evaluate(df, "odf")["obligation"].tolist() == ["obligee", "non_obligee", "obligee"]
