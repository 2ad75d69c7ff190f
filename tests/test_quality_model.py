"""The publication profile and the grade grid (model/quality.py): one test per grid rule
with a known answer, the freshness rule per declared frequency, and the Observatoire's
2021 counts reproduced from its file."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from odlab_compliance import vocab
from odlab_compliance.model import quality as q

ON = date(2026, 12, 1)

# A profile that meets every rule of A; each test below breaks one rule only.
TOP = q.Profile(nb_jeux=25, nb_dates=20, nb_a_jour=16, part_a_jour=0.8,
                nb_formats_connus=25, nb_formats_ouverts=24, part_formats_ouverts=0.96,
                schemas_scdl=("scdl/budget", "scdl/deliberations"),
                schemas_valides=("scdl/budget", "scdl/deliberations"), age_mois=1.0)


def test_top_profile_is_a():
    g = q.grade(TOP)
    assert (g.grade, g.partial, g.missing) == ("A", False, ())


@pytest.mark.parametrize("change, expected, missing", [
    ({"nb_jeux": 19}, "B", "nb_jeux"),                                      # A: 20 datasets
    ({"part_a_jour": 0.74}, "B", "part_a_jour"),                            # A: 75 % fresh
    ({"part_formats_ouverts": 0.89}, "B", "part_formats_ouverts"),          # A: 90 % open
    ({"schemas_valides": ("scdl/budget",),
      "schemas_invalides": ("scdl/deliberations",)}, "B", "nb_schemas_valides"),  # A: 2 valid
])
def test_each_rule_of_a(change, expected, missing):
    g = q.grade(replace(TOP, **change))
    assert g.grade == expected
    assert [r.criterion for r in g.missing] == [missing]
    assert g.next_grade == "A"


B = replace(TOP, nb_jeux=12, part_a_jour=0.5, part_formats_ouverts=0.75,
            schemas_scdl=("scdl/budget",), schemas_valides=())


@pytest.mark.parametrize("change, missing", [
    ({"nb_jeux": 9}, "nb_jeux"),                               # B: 10 datasets
    ({"part_a_jour": 0.49}, "part_a_jour"),                    # B: half fresh
    ({"part_formats_ouverts": 0.74}, "part_formats_ouverts"),  # B: 75 % open
    ({"schemas_scdl": ()}, "nb_schemas_scdl"),                 # B: one SCDL schema
])
def test_each_rule_of_b(change, missing):
    assert q.grade(B).grade == "B"
    g = q.grade(replace(B, **change))
    assert (g.grade, [r.criterion for r in g.missing]) == ("C", [missing])


def test_rules_of_c_d_e():
    c = q.Profile(nb_jeux=3, age_mois=12.0, part_a_jour=0.0, nb_dates=3,
                  part_formats_ouverts=0.0, nb_formats_connus=3)
    assert q.grade(c).grade == "C"
    assert q.grade(replace(c, nb_jeux=2)).grade == "D"           # C: 3 datasets
    assert q.grade(replace(c, age_mois=12.1)).grade == "D"       # C: updated within a year
    assert q.grade(replace(c, nb_jeux=1, age_mois=40.0)).grade == "D"   # D: one dataset
    e = q.grade(q.Profile(nb_jeux=0))
    assert (e.grade, e.next_grade, [r.criterion for r in e.missing]) == ("E", "D", ["nb_jeux"])
    assert q.why(q.Profile(nb_jeux=0), e) == ("Note E : aucun jeu publié trouvé à cette "
                                              "date.")


def test_unknown_is_left_out_and_said():
    """A portal that dates nothing: freshness cannot be judged, the grade says so."""
    p = replace(TOP, part_a_jour=None, nb_dates=0, age_mois=None)
    g = q.grade(p)
    assert g.grade == "A" and g.partial and g.unknown == ("part_a_jour",)
    assert "note partielle" in q.why(p, g) and "part des jeux à jour" in q.why(p, g)


def test_counts_only_profile_is_partial():
    g = q.grade(q.counts_profile(25))
    assert g.partial
    assert "ne donne que le nombre de jeux" in q.why(q.counts_profile(25), g)


@pytest.mark.parametrize("frequency, age_days, expected", [
    ("monthly", 40, True), ("monthly", 47, False),      # 31 days x 1.5
    ("annual", 500, True), ("annual", 560, False),      # 366 x 1.5
    ("daily", 1, True), ("daily", 2, False),
    (None, 360, True), (None, 370, False),              # no frequency: 12 months
    ("punctual", 370, False), ("irregular", 100, True),
])
def test_freshness_follows_declared_frequency(frequency, age_days, expected):
    last = (pd.Timestamp(ON) - pd.Timedelta(days=age_days)).isoformat()
    assert q.is_up_to_date(last, frequency, ON) is expected


def test_unknown_date_is_not_late():
    assert q.is_up_to_date(None, "monthly", ON) is None
    assert q.is_up_to_date("pas une date", "monthly", ON) is None


def test_stale_dataset_is_not_counted_up_to_date():
    """The planted defect this test catches: a monthly dataset last updated four months
    ago counted up to date (e.g. freshness judged on 12 months whatever the frequency)."""
    frame = pd.DataFrame({
        "dataset_id": ["a", "b", "c"],
        "last_update": ["2026-08-01T00:00:00", "2026-11-20T00:00:00", None],
        "frequency": ["monthly", "monthly", "annual"],
        "formats": ["csv", "pdf", ""],
        "schemas": [None, None, None]})
    p = q.profile(frame, ON)
    assert (p.nb_dates, p.nb_a_jour, p.part_a_jour) == (2, 1, 0.5)
    assert (p.nb_formats_connus, p.nb_formats_ouverts) == (2, 1)
    assert p.age_mois == pytest.approx(0.4, abs=0.1)


def test_profile_scdl_validity_and_advice():
    frame = pd.DataFrame({
        "dataset_id": [f"d{i}" for i in range(12)],
        "last_update": ["2026-11-01"] * 12, "frequency": ["annual"] * 12,
        "formats": ["csv"] * 12,
        "schemas": ["scdl/deliberations", "scdl/budget"] + [None] * 10})
    vals = pd.DataFrame({"schema_name": ["scdl/deliberations", "scdl/budget"],
                         "state": [vocab.SCDL_INVALIDE, None]})
    p = q.profile(frame, ON, scdl_names=["scdl/deliberations", "scdl/budget"],
                  validations=vals)
    assert p.schemas_scdl == ("scdl/budget", "scdl/deliberations")
    assert p.schemas_invalides == ("scdl/deliberations",) and p.nb_non_verifies == 1
    g = q.grade(p)
    assert g.grade == "B"
    steps = q.improvements(p, g)
    assert steps[0].startswith("publier 8 jeux de plus")
    assert "corriger le fichier non conforme (délibérations)" in steps[1]
    assert q.why(p, g).replace("\u202f", " ").startswith("Note B : 12 jeux, 100 % à jour")


def test_profiles_gives_e_to_collectivites_without_datasets():
    frame = pd.DataFrame({"siren": ["1"], "source": ["datagouv"], "dataset_id": ["x"],
                          "last_update": ["2026-11-01"], "frequency": [None],
                          "formats": ["csv"], "schemas": [None], "quality_score": [0.6]})
    rows = q.profiles(frame, ON, sirens=["1", "2"]).set_index("siren")
    assert rows.loc["1", "note"] == "D" and rows.loc["2", "note"] == "E"
    assert rows.loc["1", "score_qualite_median"] == 0.6
    assert rows.loc["1", "version_grille"] == q.GRID_VERSION


def test_grid_is_published_with_reasons():
    table = q.grid_table()
    assert set(table["note"]) == set(vocab.NOTE.codes)
    assert table["raison"].str.len().min() > 20
    assert q.GRID_VERSION in q.grid_json()


def test_observatoire_2021_counts_reproduced(mirror_dir):
    """OpenDataFrance 2021: 713 collectivités open, median 4 datasets, 299 (42 %) publish
    1 or 2 (or a count of 0), 103 publish 50 or more."""
    d = pd.read_csv(mirror_dir / "odf" / "observatoire-organisations-2021.csv", dtype=str)
    d = d[d["type"].isin(["COM", "CC", "CA", "CU", "MET", "EPT", "DEP", "REG"])]
    d = d.rename(columns={"nb-ptf": "nb_jeux_ptf", "nb-datagouv": "nb_jeux_datagouv"})
    dist = q.distribution(q.observatoire_profiles(d))
    assert len(d) == 713
    assert dist.median_datasets == 4
    # One collectivité is listed with neither count: the Observatoire counts it as 0 (so
    # among its 299); here it has no grade and no count, never a zero.
    assert (dist.one_or_two, dist.no_count) == (298, 1)
    assert round(100 * (dist.one_or_two + dist.no_count) / len(d)) == 42
    assert dist.fifty_or_more == 103


def test_sheet_section_says_what_is_wrong_and_what_to_do():
    from odlab_compliance.analysis import quality as aq

    table = pd.DataFrame([{
        "titre": "Délibérations du conseil municipal", "url": None, "source": "datagouv",
        "formats": "CSV", "format_ouvert": True, "frequence": "annuelle",
        "derniere_mise_a_jour": pd.Timestamp("2026-11-02"), "a_jour": True,
        "schema_scdl": "délibérations", "conformite": vocab.SCDL_INVALIDE, "erreurs": 3,
        "premieres_erreurs": "ligne 3, colonne DELIB_DATE : Format de date incorrect",
        "score_qualite": 0.5}])
    p = q.Profile(nb_jeux=1, nb_dates=1, nb_a_jour=1, part_a_jour=1.0, nb_formats_connus=1,
                  nb_formats_ouverts=1, part_formats_ouverts=1.0,
                  schemas_scdl=("scdl/deliberations",),
                  schemas_invalides=("scdl/deliberations",), age_mois=1.0)
    sec = aq.quality_section(q.profile_row("1", p), table)
    assert (sec.titre, sec.prochaine) == ("Qualité de la publication : note D", "C")
    assert sec.progresser == ["publier 2 jeux de plus (au moins 3 jeux publiés)"]
    alert = sec.alertes[0]
    assert "ne respecte pas le schéma SCDL délibérations : 3 erreurs" in alert.titre
    assert alert.erreurs == ["ligne 3, colonne DELIB_DATE : Format de date incorrect"]
    assert "validata.fr" in alert.text
    row = sec.jeux.iloc[0]
    assert (row["conformite"], row["a_jour"], row["derniere_mise_a_jour"]) == (
        "Non conforme (3 erreurs)", "oui", "02/11/2026")
    assert not sec.jeux.isna().any().any()


def test_medians_distribution_and_changes():
    from odlab_compliance.analysis import quality as aq

    assert aq.median_grade(pd.Series(["A", "E", "D", "C"])) == "C"
    assert aq.median_grade(pd.Series([], dtype=object)) is None
    counts = aq.grade_counts(pd.Series(["D", "D", "E"])).set_index("note")
    assert counts.loc["D", "nombre"] == 2 and counts.loc["A", "nombre"] == 0
    ch = aq.grade_changes(pd.DataFrame({"siren": ["1", "2", "3", "4"],
                                        "note": ["B", "D", "C", None]}),
                          pd.DataFrame({"siren": ["1", "2", "3", "4"],
                                        "note": ["C", "C", "C", "E"]}))
    assert dict(zip(ch["siren"], ch["sens"], strict=True)) == {"1": "en baisse",
                                                               "2": "en hausse"}
