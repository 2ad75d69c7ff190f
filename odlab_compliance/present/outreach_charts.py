"""Figures of the workshop page (plotly; no streamlit): the cohort, its mentors and the
venue on a white map with département outlines (no tile basemap, see ``maps``)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from odlab_compliance.fmt import nombre
from odlab_compliance.present import maps
from odlab_compliance.present.charts import FONT, FRENCH_SEPARATORS, STATUS_COLORS

# Metropolitan France with Corsica: a France-wide cohort also holds overseas communes,
# whose bounds put the map's centre in the Atlantic and left it blank (measured on the
# national data: centre 14.9° N, 3.0° W). Overseas points stay on the map, out of view;
# choosing their région frames them.
_METROPOLE = (-5.5, 41.0, 10.0, 51.5)   # lon min, lat min, lon max, lat max


def _zoom(lat: pd.Series, lon: pd.Series) -> dict:
    lat, lon = pd.to_numeric(lat), pd.to_numeric(lon)
    metro = lon.between(_METROPOLE[0], _METROPOLE[2]) & lat.between(_METROPOLE[1],
                                                                     _METROPOLE[3])
    if metro.any() and not metro.all():
        lat, lon = lat[metro], lon[metro]
    if lat.empty:
        return maps.FRANCE_VIEW
    # the map's own fit (web-mercator, about 900 × 520 pixels), with a margin
    mid = float((lat.max() + lat.min()) / 2)
    lon_span = max(float(lon.max() - lon.min()), 0.2)
    lat_span = max(float(lat.max() - lat.min()), 0.15) / math.cos(math.radians(mid))
    zoom = min(math.log2(900 * 360 / (512 * lon_span)),
               math.log2(520 * 360 / (512 * lat_span))) - 0.3
    return {"center": {"lat": mid, "lon": float((lon.max() + lon.min()) / 2)},
            "zoom": max(3.5, min(10.0, zoom))}


def cohort_map(cohort: pd.DataFrame, mentors: pd.DataFrame | None = None,
               venue: tuple[str, float, float] | None = None, outlines: dict | None = None,
               height: int = 520) -> go.Figure:
    """Cohort members coloured by status, mentors as diamonds, the venue as a star."""
    fig = go.Figure()
    pts = cohort.dropna(subset=["lon", "lat"])
    cats = maps.category(pts) if len(pts) else pd.Series(dtype="object")
    # thousands of points (a France-wide cohort) would merge into one blot at size 10
    size = 10 if len(pts) <= 300 else 6 if len(pts) <= 1500 else 4
    for cat, label in maps.CATEGORY_LABELS.items():
        part = pts[cats.eq(cat)] if len(pts) else pts
        if part.empty:
            continue
        text = part["nom"].astype(str) + "<br>" + part["population_totale"].map(
            lambda v: nombre(v, vide="?")) + " hab."
        if "distance_km" in part and part["distance_km"].notna().any():
            text = text + "<br>" + part["distance_km"].map(lambda v: nombre(v, 1)) + " km"
        fig.add_trace(go.Scattermap(
            lon=part["lon"], lat=part["lat"], mode="markers", name=f"Invitée : {label}",
            marker={"size": size, "color": STATUS_COLORS.get(cat, "#999")},
            text=text, hovertemplate="%{text}<extra></extra>", customdata=part["siren"]))
    if mentors is not None and len(mentors):
        m = mentors.dropna(subset=["lon", "lat"])
        fig.add_trace(go.Scattermap(
            lon=m["lon"], lat=m["lat"], mode="markers", name="Parrain possible",
            marker={"size": 12, "color": "#6a3d9a", "symbol": "circle"},
            text=m["nom"].astype(str) + " (publie)", hovertemplate="%{text}<extra></extra>"))
    if venue is not None:
        # markers only: map text needs glyphs from a font server, out of reach offline
        fig.add_trace(go.Scattermap(lon=[venue[2]], lat=[venue[1]], mode="markers",
                                    name=f"Lieu : {venue[0]}", text=[venue[0]],
                                    marker={"size": 16, "color": "#000"},
                                    hovertemplate="%{text}<extra></extra>"))
    view = _zoom(pd.concat([pts["lat"], pd.Series([venue[1]] if venue else [])]),
                 pd.concat([pts["lon"], pd.Series([venue[2]] if venue else [])]))
    layers = [{"sourcetype": "geojson", "source": outlines, "type": "line", "color": "#555",
               "line": {"width": 1.2}, "below": "traces"}] if outlines and outlines.get(
                   "features") else []
    fig.update_layout(map={"style": maps.WHITE, "center": view["center"], "zoom": view["zoom"],
                           "layers": layers},
                      separators=FRENCH_SEPARATORS, font=FONT, height=height,
                      margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor="white",
                      legend={"orientation": "h", "yanchor": "top", "y": -0.01, "x": 0})
    return fig
