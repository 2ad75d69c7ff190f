"""Workshops: cohort builder, distances, mentors, stored workshops that survive a
reference reload, and outcomes after 3 and 6 months."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.errors import InputError
from odlab_compliance.outreach import followup, workshops
from odlab_compliance.outreach.workshops import CohortFilter
from odlab_compliance.territory import Territory
from tests.fixtures.outreach.rows import load_ref, status_frame

TLS, BLAGNAC, COLOMIERS, BALMA, MURET, STCYP, AUCH = (
    "213105554", "213100696", "213101496", "213100449", "213103930", "213100555", "213200553")
TOULOUSE = (43.6045, 1.4442)


def candidates():
    st = status_frame({BLAGNAC: {"statut": "non_publie"}, COLOMIERS: {"statut": "non_publie"},
                       MURET: {"statut": "non_publie"}, AUCH: {"statut": "non_publie"},
                       STCYP: {"statut": "inconnu"}})
    return followup.with_state(st, pd.DataFrame({"siren": [COLOMIERS], "etape": ["contacte"]}))


def _law_of_cosines_km(lat1, lon1, lat2, lon2, radius=6371.0088):
    """The same great-circle distance by another formula: an independent check."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    return radius * math.acos(math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl))


def test_haversine():
    # Toulouse (Capitole) - Auch (cathédrale): 69.3 km as the crow flies (the road is longer).
    got = workshops.haversine_km(43.6045, 1.4442, 43.6460, 0.5850)
    assert got == pytest.approx(69.31, abs=0.05)
    assert got == pytest.approx(_law_of_cosines_km(43.6045, 1.4442, 43.6460, 0.5850), rel=1e-6)
    # One degree of longitude on the equator: 2πR/360 with the mean Earth radius.
    assert workshops.haversine_km(0, 0, 0, 1) == pytest.approx(2 * math.pi * 6371.0088 / 360,
                                                                rel=1e-4)
    assert workshops.haversine_km(45, 3, 45, 3) == 0


def test_cohort_filters():
    c = candidates()
    f = CohortFilter(territory=Territory("REG", "76"), statuts=["non_publie"], venue=TOULOUSE,
                     max_km=30, types=["COM"])
    out = workshops.cohort(c, f)
    assert list(out["nom"]) == ["Blagnac", "Colomiers", "Muret"]  # closest first, Auch too far
    assert out["distance_km"].is_monotonic_increasing
    out = workshops.cohort(c, CohortFilter(statuts=["non_publie"], etapes=["a_contacter"],
                                           exclude=frozenset({MURET})))
    assert set(out["nom"]) == {"Blagnac", "Auch"}
    out = workshops.cohort(c, CohortFilter(epci="243100518", size_bands=["20 000 à 49 999 hab."]))
    assert set(out["nom"]) == {"Blagnac", "Colomiers"}
    assert list(workshops.invitation_list(out).columns) == workshops.INVITATION_COLUMNS


def test_mentors_prefer_same_epci():
    c = candidates()
    mentees = c[c["siren"].isin([BLAGNAC, AUCH])]
    m = workshops.mentors(c, mentees)
    blagnac = m[m["siren_filleul"] == BLAGNAC]
    # Balma (17k, publishes, same EPCI) before anyone else; Toulouse is too big
    assert blagnac.iloc[0]["nom"] == "Balma" and blagnac.iloc[0]["proximite"] == "même EPCI"
    assert "Toulouse" not in set(blagnac["nom"])
    assert m[m["siren_filleul"] == AUCH].empty  # no publishing commune of its size nearby


def test_store_workshop_and_survive_reload(tmp_path):
    path = tmp_path / "odlab.duckdb"
    c = candidates()
    with db.connect(path=path) as con:
        load_ref(con)
        assert workshops.venue_of(con, "31555")[0] == "Toulouse"
        cohort = workshops.cohort(c, CohortFilter(statuts=["non_publie"], venue=TOULOUSE))
        wid = workshops.create(con, titre="Atelier SCDL", date_atelier=date(2026, 3, 10),
                               lieu_code_insee="31555", lieu_nom="Toulouse", editor="alice",
                               invitees=cohort)
        assert workshops.invite(con, wid, cohort.head(1), editor="alice") == 0
        workshops.record_attendance(con, wid, {BLAGNAC: True, MURET: False}, editor="alice")
        workshops.record_attendance(con, wid, {MURET: True}, editor="bob")
        with pytest.raises(InputError, match="non invitées"):
            workshops.record_attendance(con, wid, {TLS: True}, editor="bob")
        with pytest.raises(InputError, match="titre manquant"):
            workshops.create(con, titre=" ", date_atelier=date(2026, 1, 1), editor="a")
        with db.transaction(con):
            con.execute("DELETE FROM ref_collectivite")
            load_ref(con)
    with db.connect(path=path) as con:
        lst = workshops.list_workshops(con)
        assert lst.loc[0, "nb_invites"] == 4 and lst.loc[0, "nb_presents"] == 2
        assert workshops.invited_sirens(con) == frozenset({BLAGNAC, COLOMIERS, MURET, AUCH})
        exp = workshops.export_frame(con, wid)
        assert set(exp.loc[exp["present"].fillna(False).astype(bool), "siren"]) == {BLAGNAC, MURET}
        with pytest.raises(InputError, match="atelier inconnu"):
            workshops.export_frame(con, 99)


def test_outcomes():
    att = pd.DataFrame({"workshop_id": [1, 1, 1, 1], "date_atelier": [date(2026, 1, 15)] * 4,
                        "siren": ["a", "b", "c", "d"], "present": [True, True, True, False]})
    hist = pd.DataFrame([
        ("a", "2026-01-01", "non_publie"), ("b", "2026-01-01", "non_publie"),
        ("c", "2026-01-01", "publie"), ("d", "2026-01-01", "non_publie"),
        ("a", "2026-03-01", "publie"),                                   # within 3 months
        ("b", "2026-03-01", "inconnu"), ("b", "2026-06-01", "publie_via_tiers"),  # within 6
        ("d", "2026-03-01", "publie"),                                   # absent: not counted
        ("a", "2026-08-01", "publie"),
    ], columns=["siren", "date_snapshot", "statut"])
    out = workshops.outcomes(att, hist, today=date(2026, 9, 1)).iloc[0]
    assert (out["invites"], out["presents"], out["deja_publiants"]) == (4, 3, 1)
    assert (out["publie_3_mois"], out["publie_6_mois"]) == (1, 2)
    assert out["recul_3_mois"] and out["recul_6_mois"]
    early = workshops.outcomes(att, hist[hist["date_snapshot"] < "2026-07-01"],
                               today=date(2026, 9, 1)).iloc[0]
    assert early["recul_3_mois"] and not early["recul_6_mois"]


def test_lists_for_people_name_the_epci_and_carry_the_contact():
    c = candidates()
    cohort = workshops.cohort(c, CohortFilter(statuts=["non_publie"], types=["COM"]))
    state = pd.DataFrame({"siren": [COLOMIERS], "etape": ["contacte"],
                          "contact": ["Mme Durand, DGS"]})
    names = {"243100518": "Toulouse Métropole"}
    out = workshops.for_people(workshops.invitation_list(cohort), workshops.INVITATION_LABELS,
                               names, state).set_index("Nom")
    assert out.loc["Colomiers", "Intercommunalité"] == "Toulouse Métropole"
    assert out.loc["Colomiers", "Contact"] == "Mme Durand, DGS"
    assert out.loc["Colomiers", "Étape du suivi"] == "Contactée"
    assert out.loc["Colomiers", "Statut"] == "Ne publie pas"
    assert not {"workshop_id", "invite_le", "epci_siren", "statut"} & set(out.columns)
    mentors = workshops.mentors(c, cohort)
    people = workshops.for_people(workshops.mentor_rows(mentors, c), workshops.MENTOR_LABELS,
                                  names, state)
    row = people[people["Invitée"] == "Colomiers"].iloc[0]
    assert row["Parrain proposé"] == "Balma"
    assert row["Intercommunalité du parrain"] == "Toulouse Métropole"
    assert row["Statut du parrain"] == "Publie (sa plateforme ou data.gouv.fr)"


def test_france_wide_cohort_map_frames_the_metropole():
    """Measured: overseas communes put the centre at 14.9° N, 3.0° W and the map was
    blank; the metropole is framed, overseas points stay in the data."""
    from odlab_compliance.present.outreach_charts import cohort_map

    metro = pd.DataFrame({"siren": ["a", "b", "c"], "nom": ["Lille", "Brest", "Nice"],
                          "lat": [50.63, 48.39, 43.70], "lon": [3.06, -4.49, 7.27]})
    overseas = pd.DataFrame({"siren": ["d", "e"], "nom": ["Saint-Denis", "Cayenne"],
                             "lat": [-20.88, 4.94], "lon": [55.45, -52.33]})
    pts = pd.concat([metro, overseas]).assign(statut="non_publie", obligation="obligee",
                                              population_totale=20000, type="COM")
    fig = cohort_map(pts)
    view = fig.layout.map
    assert 44 < view.center.lat < 49 and -1 < view.center.lon < 5
    assert 4 <= view.zoom <= 6
    assert sum(len(t.lon) for t in fig.data) == 5


def test_distances_have_one_format_in_every_table():
    """Issue 16: « 0 », « 34 », « 31,9 » in one column: whole kilometres everywhere."""
    rows = pd.DataFrame({"siren": ["1", "2", "3", "4"], "nom": list("abcd"),
                         "distance_km": [0.0, 34.0, 31.94, None]})
    state = pd.DataFrame(columns=["siren", "etape", "contact"])
    out = workshops.for_people(rows, workshops.INVITATION_LABELS, {}, state)
    assert out["Distance (km)"].tolist()[:3] == [0, 34, 32]
    assert str(out["Distance (km)"].dtype) == "Int64" and pd.isna(out["Distance (km)"].iloc[3])
