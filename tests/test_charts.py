"""Figures, maps, the collectivité sheet and its PDF, and the safe-rendering helpers."""

from __future__ import annotations

import datetime as dt
import re
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest
import shapely

from odlab_compliance import territory as T
from odlab_compliance.analysis.sheet import build_sheet, next_steps, scdl_grid, similar
from odlab_compliance.model import figures as F
from odlab_compliance.model.snapshots import Snapshot
from odlab_compliance.model.status import StatusModel
from odlab_compliance.present import charts, maps, sheet_pdf
from odlab_compliance.ui import render
from tests.fixtures.dashboard import build_db
from tests.fixtures.status_tables import GivenTables


@pytest.fixture
def frame() -> pd.DataFrame:
    df = build_db.reference_rows()
    df["obligation"] = ["non_obligee" if (t == "COM" and p < 3500) else "obligee"
                        for t, p in zip(df["type"], df["population_totale"], strict=True)]
    df["statut"] = df["siren"].map({"213105554": "publie", "243100518": "publie_via_tiers"}
                                   ).fillna("non_publie")
    df["plateformes"] = df["siren"].map({"243100518": "https://data.toulouse-metropole.fr"})
    return df


def test_figures_are_plotly_figures_with_french_separators(frame):
    snaps = [Snapshot(2, date(2022, 12, 31)), Snapshot(1, date(2021, 12, 31), "observatoire")]
    model = StatusModel(snaps, [2022], GivenTables(lambda rule, snap, v: frame, lambda rule, v: frame))
    figs = [charts.status_breakdown(F.by_type(frame)),
            charts.trend(model.status_series(T.FRANCE, "odf")),
            charts.ranking(F.ranking(frame, T.Territory("REG", "76")), "Département")]
    for fig in figs:
        assert isinstance(fig, go.Figure)
        assert fig.layout.separators == ", "
    assert figs[1].data[0].text[0] == "14,3\u202f%"   # the rounding of the tables


def test_empty_inputs_give_a_message_not_an_error(frame):
    fig = charts.status_breakdown(F.by_type(frame.iloc[0:0]))
    assert "Aucune" in fig.layout.annotations[0].text
    assert charts.trend(pd.DataFrame(columns=["label", "taux"])).layout.annotations


def test_commune_map_is_white_with_outlines(frame):
    geo = build_db.geometry_rows(build_db.reference_rows())
    com = geo[geo["niveau"] == "COM"]
    gj = maps.feature_collection(com["code"], com["geometry"])
    epci = geo[geo["niveau"] == "EPCI"]
    fig = maps.commune_map(gj, frame[frame["type"] == "COM"],
                           epci_outlines=maps.feature_collection(epci["code"], epci["geometry"]))
    assert fig.layout.map.style == "white-bg"
    assert fig.layout.map.layers and fig.layout.map.layers[0].type == "line"
    assert set(maps.trace_codes(fig)) == set(com["code"])
    names = {t.name for t in fig.data}
    assert "Non obligée" in names and "Publie (sa plateforme ou data.gouv.fr)" in names
    hover = " ".join(t for trace in fig.data for t in trace.text)
    assert "511\u202f684 habitants" in hover
    assert maps.commune_map(gj, frame[frame["type"] == "COM"], basemap=True
                            ).layout.map.style == maps.BASEMAP


def test_rate_map_areas_and_points(frame):
    geo = build_db.geometry_rows(build_db.reference_rows())
    deps = geo[geo["niveau"] == "DEP"]
    rates = F.rates(frame, "DEP", {"31": "Haute-Garonne", "09": "Ariège"})
    fig = maps.rate_map(maps.feature_collection(deps["code"], deps["geometry"]), rates,
                        frame[frame["type"] == "COM"], fit=True)
    assert fig.data[0].type == "choroplethmap"
    assert {t.type for t in fig.data[1:]} == {"scattermap"}
    assert fig.layout.map.zoom > 6   # fitted to two small départements, not France


def test_view_and_rate_ceiling():
    gj = maps.feature_collection(["a"], [shapely.box(1.0, 43.0, 2.0, 44.0)])
    view = maps.view_for(gj)
    assert view["center"] == {"lat": 43.5, "lon": 1.5} and 6 < view["zoom"] < 10
    assert maps.view_for({"features": []}) == maps.FRANCE_VIEW
    assert maps.rate_ceiling(pd.Series([0.05, 0.13])) == 0.2
    assert maps.rate_ceiling(pd.Series([0.43])) == 0.5
    assert maps.rate_ceiling(pd.Series([None], dtype="float64")) == 1.0


def test_scdl_grid_present_stale_absent():
    today = dt.date(2026, 11, 27)
    ev = pd.DataFrame({"schemas": ["scdl/deliberations", "scdl/budget,scdl/subventions", None],
                       "last_update": ["2026-10-01", "2023-01-01", "2026-11-01"]})
    grid = scdl_grid(ev, today).set_index("schema")
    assert grid.loc["scdl/deliberations", "etat"] == "present"
    assert grid.loc["scdl/budget", "etat"] == "ancien"
    assert grid.loc["scdl/subventions", "jeux"] == 1
    assert grid.loc["scdl/equipements", "etat"] == "absent"
    assert grid.loc["scdl/deliberations", "derniere_mise_a_jour"] == "01/10/2026"
    assert (scdl_grid(pd.DataFrame())["etat"] == "absent").all()
    assert (scdl_grid(ev, today, known=False)["etat"] == "non_renseigne").all()


def test_next_steps_suggest_the_shared_platform(frame):
    row = frame[frame["siren"] == "213100696"].iloc[0].to_dict()   # Blagnac, non_publie
    epci = frame[frame["siren"] == "243100518"].iloc[0].to_dict()
    steps = next_steps(row, scdl_grid(pd.DataFrame()), epci)
    assert len(steps) == 3
    assert "Toulouse Métropole" in steps[0] and "data.toulouse-metropole.fr" in steps[0]
    alone = next_steps(row, scdl_grid(pd.DataFrame()), None)
    assert "data.gouv.fr" in alone[0]
    checking = next_steps({**row, "obligation": "a_verifier"}, scdl_grid(pd.DataFrame()), None)
    assert "agents" in checking[0]


def test_pdf_sheet_is_one_page(frame):
    row = frame[frame["siren"] == "213105554"].iloc[0].to_dict()
    row["motif"] = "Obligée : 511 684 habitants (population totale 2023) ≥ 3 500 et 12 000 agents."
    ev = pd.DataFrame({"schemas": ["scdl/deliberations"], "last_update": ["2026-10-01"],
                       "title": [build_db.XSS_TITLE]})
    hist = pd.DataFrame({"label": ["31/12/2021", "31/12/2022"],
                         "statut": ["publie", "publie"]})
    sheet = build_sheet(row, ev, similar(frame, "213105554"), None, hist, "27/11/2026")
    data = sheet_pdf.render(sheet)
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1
    assert sheet.obligation == "Obligée" and len(sheet.etapes) == 3


@pytest.mark.parametrize("url,expected", [
    ("https://data.example.fr/x", "https://data.example.fr/x"),
    ("http://a.fr", "http://a.fr"), ("javascript:alert(1)", None), ("data:text/html,x", None),
    ("JAVASCRIPT:alert(1)", None), ("//evil.fr", None), ("", None), (None, None),
    (float("nan"), None), ("https://", None),
])
def test_only_http_links(url, expected):
    assert render.safe_url(url) == expected


def test_markdown_escape():
    text = render.md_escape("<script>alert(1)</script> [x](javascript:y) **gras**")
    assert "<script>" not in text and "](" not in text and "**" not in text
    assert render.md_escape(None) == ""


def test_points_on_the_rate_map_drill_into_their_area_and_names_are_written(frame):
    geo = build_db.geometry_rows(build_db.reference_rows())
    deps = geo[geo["niveau"] == "DEP"]
    areas = maps.feature_collection(deps["code"], deps["geometry"])
    rates = F.rates(frame, "DEP", {"31": "Haute-Garonne", "09": "Ariège"})
    points = frame[frame["type"] == "COM"].assign(lon=1.44, lat=43.6)
    fig = maps.rate_map(areas, rates, points, fit=True, area_column="departement")
    dots = [t for t in fig.data if getattr(t, "mode", None) == "markers"]
    # a click on a commune's point gives its département (drill down), not its SIREN
    assert {c for t in dots for c in t.customdata} <= {"31", "09"}
    names = [t for t in fig.data if getattr(t, "mode", None) == "text"]
    assert sorted(names[0].text) == ["Ariège", "Haute-Garonne"]
    assert names[0].hoverinfo == "skip"
    ticks = fig.data[0].colorbar.ticktext
    assert ticks and all(t.endswith("\u202f%") for t in ticks)   # « 20 % », French
    assert not [t for t in maps.rate_map(areas, rates, names=False).data
                if getattr(t, "mode", None) == "text"]


def test_names_that_would_overlap_are_left_out():
    points = {"a": (1.44, 43.60), "b": (1.45, 43.60), "c": (3.0, 45.0)}
    names = {"a": "Toulouse", "b": "Balma", "c": "Clermont-Ferrand"}
    assert maps.declutter(points, names, zoom=8) == ["a", "c"]       # b sits on a
    assert maps.declutter(points, names, zoom=16) == ["a", "b", "c"]  # room when zoomed in


def test_territory_report_is_one_page_with_its_figures(frame):
    from odlab_compliance.analysis.report import build_report
    from odlab_compliance.model.snapshots import Snapshot, VintageChoice
    from odlab_compliance.model.status import StatusAt
    from odlab_compliance.present import report_pdf

    frame = frame.assign(plateformes=None, a_jour=True)
    at = StatusAt(T.Territory("DEP", "31"), "odf", Snapshot(2, dt.date(2022, 12, 31)),
                  VintageChoice(2022, True, ""), frame)
    series = pd.DataFrame({"label": ["31/12/2021 · Édition", "31/12/2022 · Édition"],
                           "taux": [0.1, 2 / 13]})
    report = build_report(at, series, "Haute-Garonne", "Observatoire", assumption=True)
    figures = dict(report.chiffres)
    assert figures["Collectivités obligées"] == str(at.figures.obligees)
    assert figures["Taux de publication"] == "22,2\u202f%"       # 2 of the 9 known
    assert report.nb_en_retard == at.figures.n_non_publie == 7
    pops = [int(p.replace("\u202f", "")) for p in report.en_retard["Population"]]
    assert pops == sorted(pops, reverse=True)                      # most populated first
    assert len(report.etapes) == 3 and any("atelier" in s for s in report.etapes)
    assert report.notes and "hypothèse" in report.notes[0]
    data = report_pdf.render(report)
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 1


def test_a_trend_without_rate_says_why(frame):
    """Issue 16: the legal rule without agent counts showed « Pas encore d'historique »
    although two Observatoire editions were there."""
    snaps = [Snapshot(2, date(2022, 12, 31), "observatoire"),
             Snapshot(1, date(2021, 12, 31), "observatoire")]
    to_check = frame.assign(obligation="a_verifier")
    model = StatusModel(snaps, [2022], GivenTables(lambda rule, snap, v: to_check,
                                                   lambda rule, v: to_check))
    text = charts.trend(model.status_series(T.FRANCE, "legal")).layout.annotations[0].text
    assert text.startswith("Aucune collectivité obligée sous cette règle aux 2 date(s)")
    assert "sans effectif d'agents connu" in text and "présume" in text
    assert "historique" not in text
    assert charts.trend(pd.DataFrame(columns=["label", "taux"])).layout.annotations[0].text \
        == "Pas encore de collecte ni d'édition de l'Observatoire pour ce territoire."
