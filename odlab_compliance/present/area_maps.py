"""The dashboard's two maps built from a status table: France or a région (areas by rate,
obliged communes as points) and one département or intercommunality (communes by
status). Pure: the outlines come from ``geojson(level, codes)``, given by the caller
(``ui.cache.map_figure``, which also keeps the figures)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from odlab_compliance import territory as terr
from odlab_compliance import vocab
from odlab_compliance.model import figures as figs
from odlab_compliance.present import maps

GeoJson = Callable[[str, "tuple[str, ...] | None"], dict]


def child_names(ref: pd.DataFrame, territories: pd.DataFrame, level: str) -> dict[str, str]:
    """Code (SIREN for an EPCI) → name of every area of ``level`` in the reference."""
    if level in ("REG", "DEP"):
        part = territories[territories["niveau"].eq(level)]
        return dict(zip(part["code"].astype(str), part["nom"].astype(str), strict=True))
    part = ref[ref["type"].isin(terr.EPCI_TYPES)] if level == "EPCI" else ref[ref["type"].eq(vocab.TYPE_COM)]
    key = "siren" if level == "EPCI" else "code_insee"
    return dict(zip(part[key].astype(str), part["nom"].astype(str), strict=True))


def with_centroids(ref: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows plus lon/lat from the reference (the status table has no coordinates)."""
    if {"lon", "lat"} <= set(rows.columns):
        return rows
    return rows.merge(ref[["type", "code_insee", "lon", "lat"]], on=["type", "code_insee"],
                      how="left")


def rate_map_figure(frame: pd.DataFrame, territory: terr.Territory, level: str,
                    ref: pd.DataFrame, territories: pd.DataFrame, geojson: GeoJson,
                    basemap: bool) -> tuple[go.Figure, pd.DataFrame]:
    """France or a région: areas of ``level`` (REG or DEP) by rate, obliged communes as
    points; and the rates drawn (one row per area)."""
    local = terr.filter_frame(frame, territory)
    names = child_names(ref, territories, level)
    areas_ref = territories[territories["niveau"].eq(level)]
    if territory.level == "REG":
        areas_ref = areas_ref[areas_ref["region"].eq(territory.code)]
    # Every area is drawn; one without obliged collectivités has no rate (grey).
    rates = pd.DataFrame({"code": areas_ref["code"].astype(str)}).merge(
        figs.rates(local, level, names), on="code", how="left")
    rates["nom"] = rates["code"].map(names).fillna(rates["nom"])
    rates[["obligees", "publiant"]] = rates[["obligees", "publiant"]].fillna(0)
    areas = geojson(level, tuple(rates["code"]))
    communes = local[local["type"].eq(vocab.TYPE_COM)
                     & local["obligation"].isin([vocab.OBLIGEE, vocab.A_VERIFIER])]
    points = with_centroids(ref, communes)
    outline = geojson("REG", None) if level == "DEP" and territory.level == "FR" else None
    fig = maps.rate_map(areas, rates, points, outlines=outline, basemap=basemap,
                        fit=territory.level != "FR", area_column=terr.CHILD_COLUMN[level],
                        # Names within a région (its départements); at France level the
                        # régions are known by their shape and named on hover: writing
                        # names costs the browser about half a second (bench_dashboard).
                        names=territory.level != "FR")
    return fig, rates


def commune_map_figure(frame: pd.DataFrame, territory: terr.Territory, dep: str,
                       geojson: GeoJson, basemap: bool) -> tuple[go.Figure, pd.DataFrame]:
    """One département (or the EPCI selected): commune polygons by status, EPCI outlines;
    and the communes drawn."""
    scope = territory if territory.level == "EPCI" else terr.Territory("DEP", dep)
    local = terr.filter_frame(frame, scope)
    communes = local[local["type"].eq(vocab.TYPE_COM)]
    codes = tuple(sorted(communes["code_insee"].astype(str)))
    epcis = tuple(sorted(set(communes["epci_siren"].dropna().astype(str))))
    area = geojson("EPCI", (territory.code,)) if territory.level == "EPCI" \
        else geojson("DEP", (dep,))
    fig = maps.commune_map(geojson("COM", codes), communes,
                           epci_outlines=geojson("EPCI", epcis), area_outline=area,
                           basemap=basemap)
    return fig, communes
