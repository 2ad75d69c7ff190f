"""Changes between two snapshots: a known answer (a commune starts, one stops, one whose
harvest failed is "inconnu", not "stopped"), vintage changes and the e-mail digest."""

from __future__ import annotations

from datetime import date

from odlab_compliance.analysis import changes
from odlab_compliance.model.figures import figures
from odlab_compliance.model.snapshots import Snapshot, at_date
from tests.fixtures.outreach.rows import status_frame

TLS, BLAGNAC, COLOMIERS, BALMA, MURET, STCYP, AUCH = (
    "213105554", "213100696", "213101496", "213100449", "213103930", "213100555", "213200553")


def before_after():
    before = status_frame({
        BLAGNAC: {"statut": "non_publie"},           # will start
        COLOMIERS: {"statut": "publie"},             # will stop
        BALMA: {"statut": "publie_via_tiers"},       # harvest fails -> inconnu
        MURET: {"statut": "publie", "a_jour": True},  # goes stale
        STCYP: {"obligation": "non_obligee", "statut": "non_publie"},  # becomes obliged
    })
    after = status_frame({
        BLAGNAC: {"statut": "publie"},
        COLOMIERS: {"statut": "non_publie"},
        BALMA: {"statut": "inconnu"},
        MURET: {"statut": "publie", "a_jour": False},
        STCYP: {"statut": "non_publie"},
    })
    return before, after


def test_known_answer():
    before, after = before_after()
    out = changes.diff(before, after)
    got = {(r["siren"], r["changement"]) for r in out.to_dict("records")}
    assert got == {(BLAGNAC, "commence"), (COLOMIERS, "arrete"), (BALMA, "devenu_inconnu"),
                   (MURET, "obsolete"), (STCYP, "devenu_oblige")}
    assert changes.counts(out)["arrete"] == 1  # Balma's failed harvest is not a stop
    row = out[out["siren"] == COLOMIERS].iloc[0]
    assert (row["statut_avant"], row["statut_apres"]) == ("publie", "non_publie")


def test_absent_side_and_back_to_known():
    before, after = before_after()
    before = before[before["siren"] != AUCH]          # Auch not in the older vintage
    before.loc[before["siren"] == TLS, "statut"] = "inconnu"
    out = changes.diff(before, after)
    got = {(r["siren"], r["changement"]) for r in out.to_dict("records")}
    assert (AUCH, "devenu_oblige") in got and (AUCH, "commence") in got
    assert (TLS, "de_nouveau_connu") in got and (TLS, "commence") not in got


def test_digest_text_and_per_departement():
    before, after = before_after()
    out = changes.diff(before, after)
    rates = changes.rates_by_departement(before, after)
    texts = changes.digest_by_departement(out, {"31": "Haute-Garonne"},
                                          date_from=date(2026, 9, 1), date_to=date(2026, 10, 1),
                                          rates=rates)
    assert list(texts) == ["31"]
    text = texts["31"]
    assert text.startswith("Open data des collectivités — Haute-Garonne (31)\n")
    assert "entre le 01/09/2026 et le 01/10/2026" in text
    assert "- Ont commencé à publier (1) : Blagnac." in text
    assert "- Ont cessé de publier (1) : Colomiers." in text
    assert "- Statut désormais inconnu (source indisponible, pas un arrêt) (1) : Balma." in text
    assert "Taux de publication" in text and "%" in text
    empty = changes.digest_text(out.iloc[0:0], territory_name="Gers (32)",
                                date_from=date(2026, 9, 1), date_to=date(2026, 10, 1))
    assert "Aucun changement" in empty


def test_snapshot_in_force_at_a_date():
    snaps = [Snapshot(3, date(2026, 9, 1)), Snapshot(2, date(2026, 6, 1)),
             Snapshot(1, date(2026, 1, 1))]
    assert at_date(snaps, date(2026, 7, 1)).id == 2
    assert at_date(snaps, date(2026, 6, 1)).id == 2
    assert at_date(snaps, date(2025, 7, 1)) is None


def test_rates_match_territory_figures():
    before, after = before_after()
    before.loc[before["siren"] == AUCH, "statut"] = "inconnu"
    rates = changes.rates_by_departement(before, after)
    for dep in ("31", "32"):
        assert rates[dep] == (figures(before[before["departement"] == dep]).taux,
                              figures(after[after["departement"] == dep]).taux)


def test_a_threshold_crossed_between_vintages_is_said():
    before, after = before_after()
    # Saint-Cyprien: 3,480 inhabitants in the older vintage, 3,560 in the newer one;
    # Blagnac: a band under 50, then above, its obligation unchanged (counts unknown first)
    before.loc[before["siren"] == STCYP, ["population_totale", "population_municipale"]] = [
        3480, 3440]
    after.loc[after["siren"] == STCYP, ["population_totale", "population_municipale"]] = [
        3560, 3520]
    before.loc[before["siren"] == BLAGNAC, ["agents_tranche", "agents_min", "agents_max"]] = [
        "12", 20, 49]
    after.loc[after["siren"] == BLAGNAC, ["agents_tranche", "agents_min", "agents_max"]] = [
        "21", 50, 99]
    out = changes.diff(before, after)
    stcyp = out[(out["siren"] == STCYP) & (out["changement"] == "devenu_oblige")].iloc[0]
    assert stcyp["seuil_franchi"].startswith("3\u202f480 habitants (population totale)")
    assert "passe au-dessus de 3\u202f500 habitants" in stcyp["seuil_franchi"]
    blagnac = out[(out["siren"] == BLAGNAC) & (out["changement"] == "seuil_franchi")]
    assert blagnac["seuil_franchi"].tolist() == ["effectif : passe à au moins 50 agents"]
    assert changes.counts(out)["seuil_franchi"] == 1
