"""Maps of the dashboard: functions returning plotly figures.

No tile basemap by default: a basemap needs internet in the user's browser and blanks
the whole map when unreachable. The background is white and administrative outlines
are drawn as line layers. ``basemap=True`` switches to an OpenStreetMap-based style.

Sizes follow what a browser draws in time (README, architecture): France-wide maps draw départements or régions
(about 100 polygons) and the obliged communes as points; commune polygons are only
drawn for one département (a few hundred).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import mapping

from odlab_compliance import vocab
from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.present.charts import FONT, FRENCH_SEPARATORS, STATUS_COLORS

WHITE = "white-bg"
BASEMAP = "carto-positron"
FRANCE_VIEW = {"center": {"lat": 46.5, "lon": 2.5}, "zoom": 4.6}
# Discrete categories shown on the maps: a status for obliged collectivités, else the
# obligation itself (greyed), so a non-obliged commune never looks like a failing one.
CATEGORY_LABELS = {**vocab.STATUT.labels(), vocab.A_VERIFIER: "Obligation à vérifier",
                   vocab.NON_OBLIGEE: vocab.OBLIGATION.label(vocab.NON_OBLIGEE)}
# Rates in purples: no status colour (green, sky blue, vermillion, yellow, grey) is a
# purple, so the status points stay visible on any area.
RATE_SCALE = [[0.0, "#f2f0f7"], [0.25, "#cbc9e2"], [0.5, "#9e9ac8"], [0.75, "#756bb1"],
              [1.0, "#54278f"]]


def feature_collection(codes: Iterable[str], geometries: Iterable[object]) -> dict:
    """GeoJSON FeatureCollection with ``id`` = code, from shapely geometries or WKB."""
    features = []
    for code, geom in zip(codes, geometries, strict=True):
        if isinstance(geom, bytes | bytearray | memoryview):
            geom = shapely.from_wkb(bytes(geom))
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "id": str(code), "properties": {},
                         "geometry": mapping(geom)})
    return {"type": "FeatureCollection", "features": features}


def _bounds(geojson: dict) -> tuple[float, float, float, float] | None:
    geoms = [shapely.geometry.shape(f["geometry"]) for f in geojson.get("features", [])]
    if not geoms:
        return None
    return tuple(shapely.total_bounds(geoms))  # type: ignore[return-value]


def view_for(geojson: dict, width_px: int = 800, height_px: int = 580) -> dict:
    """Center and zoom that fit a set of features in a map of about that size (France
    when empty). Web-mercator: the world is 512 × 2^zoom pixels wide."""
    b = _bounds(geojson)
    if b is None:
        return FRANCE_VIEW
    minx, miny, maxx, maxy = b
    lat = (miny + maxy) / 2
    lon_span = max(maxx - minx, 0.02)
    # Latitude degrees are longer than longitude degrees on the map by 1/cos(lat).
    lat_span = max(maxy - miny, 0.02) / math.cos(math.radians(lat))
    zoom = min(math.log2(width_px * 360 / (512 * lon_span)),
               math.log2(height_px * 360 / (512 * lat_span))) - 0.15
    return {"center": {"lat": lat, "lon": (minx + maxx) / 2}, "zoom": max(1.0, min(12.0, zoom))}


def _outline_layers(outlines: list[tuple[dict, str, float]]) -> list[dict]:
    # Drawn above the coloured polygons, so EPCI limits stay visible inside a département.
    return [{"sourcetype": "geojson", "source": gj, "type": "line", "color": color,
             "line": {"width": width}}
            for gj, color, width in outlines if gj and gj.get("features")]


def _layout(fig: go.Figure, view: dict, outlines: list[tuple[dict, str, float]],
            basemap: bool, height: int) -> go.Figure:
    fig.update_layout(
        map=dict(style=BASEMAP if basemap else WHITE, center=view["center"], zoom=view["zoom"],
                 layers=_outline_layers(outlines)),
        separators=FRENCH_SEPARATORS, font=FONT, height=height,
        margin=dict(l=0, r=0, t=0, b=0), paper_bgcolor="white",
        # Legend top left: the top right corner belongs to the map's own controls.
        legend=dict(yanchor="top", y=0.99, xanchor="left", x=0.01, traceorder="reversed",
                    bgcolor="rgba(255,255,255,0.85)", bordercolor="#ccc", borderwidth=1),
        clickmode="event+select")
    return fig


def category(df: pd.DataFrame) -> pd.Series:
    """The map category of each collectivité: its status when obliged, else its obligation."""
    obl = df["obligation"].astype("object")
    stat = df["statut"].astype("object") if "statut" in df.columns else pd.Series(
        vocab.INCONNU, index=df.index, dtype="object")
    return stat.where(obl.eq(vocab.OBLIGEE), obl).fillna(vocab.INCONNU)


def _hover(df: pd.DataFrame) -> pd.Series:
    pop = df["population_totale"].map(lambda v: nombre(v, vide="?"))
    obl = vocab.OBLIGATION.labelled(df["obligation"], "?")
    stat = category(df).map(lambda v: CATEGORY_LABELS.get(v, v))
    text = df["nom"].astype(str) + "<br>" + pop + " habitants<br>" + obl + " · " + stat
    if "note" in df.columns:
        text = text + df["note"].map(lambda g: f"<br>Note de publication : {g}"
                                     if isinstance(g, str) else "")
    return text


NO_GRADE = "sans_note"   # obliged, status unknown: no grade (not a vocabulary code)
GRADE_CATEGORY_LABELS = {**{g: f"Note {g}" for g in vocab.NOTE.codes},
                         NO_GRADE: "Sans note (statut inconnu)",
                         vocab.NON_OBLIGEE: vocab.OBLIGATION.label(vocab.NON_OBLIGEE),
                         vocab.A_VERIFIER: "Obligation à vérifier"}
GRADE_COLORS = {**vocab.NOTE.colours(), NO_GRADE: STATUS_COLORS[vocab.INCONNU],
                vocab.NON_OBLIGEE: STATUS_COLORS[vocab.NON_OBLIGEE],
                vocab.A_VERIFIER: STATUS_COLORS[vocab.A_VERIFIER]}


def grade_category(df: pd.DataFrame) -> pd.Series:
    """The map category by grade: the grade when obliged (none when unknown), else the
    obligation."""
    obl = df["obligation"].astype("object")
    note = df["note"].astype("object").where(df["note"].notna(), NO_GRADE)
    return note.where(obl.eq(vocab.OBLIGEE), obl)


NAMES_SHOWN = 12   # names of the most populated communes on a département's map


def label_points(geojson: dict, codes: Iterable[str]) -> dict[str, tuple[float, float]]:
    """A point inside each feature of ``codes`` (lon, lat), where its name is written."""
    wanted = set(codes)
    out = {}
    for f in geojson.get("features", []):
        if f["id"] in wanted:
            p = shapely.geometry.shape(f["geometry"]).representative_point()
            out[f["id"]] = (p.x, p.y)
    return out


def declutter(points: dict[str, tuple[float, float]], names: dict[str, str], zoom: float,
              ) -> list[str]:
    """The codes whose names fit without overlapping one already kept, in the order given
    (most important first), at ``zoom`` (web mercator: 512 × 2^zoom pixels round the
    world; about 6.5 pixels a character at 11 px)."""
    px_per_degree = 512 * 2 ** zoom / 360
    kept: list[tuple[float, float, float]] = []   # x, y, half width (pixels)
    out = []
    for code in names:
        if code not in points:
            continue
        lon, lat = points[code]
        x = lon * px_per_degree
        y = math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))) \
            * px_per_degree
        half = 3.3 * len(names[code]) + 4
        if all(abs(x - kx) > half + kh or abs(y - ky) > 16 for kx, ky, kh in kept):
            kept.append((x, y, half))
            out.append(code)
    return out


def names_trace(geojson: dict, names: dict[str, str], zoom: float | None = None,
                ) -> go.Scattermap | None:
    """The names of some features written on the map (drawn offline too: MapLibre draws
    the text itself when no glyph server answers), the first ones given first; with
    ``zoom``, those that would overlap a name already written are left out (MapLibre
    would hide one at random). Not clickable, no hover."""
    points = label_points(geojson, names)
    if not points:
        return None
    codes = declutter(points, names, zoom) if zoom is not None else list(points)
    return go.Scattermap(lon=[points[c][0] for c in codes], lat=[points[c][1] for c in codes],
                         mode="text", text=[names[c] for c in codes],
                         textfont=dict(size=11, color="#1a1a1a"), hoverinfo="skip",
                         showlegend=False, name="Noms")


def _percent_ticks(top: float) -> dict:
    """Colour bar ticks written the French way (« 20 % »)."""
    step = 0.1 if top > 0.3 else 0.05
    ticks = [round(i * step, 2) for i in range(int(top / step + 1e-9) + 1)]
    return {"tickvals": ticks, "ticktext": [pourcentage(t) for t in ticks]}


def rate_ceiling(rates: pd.Series) -> float:
    """Top of the colour scale: the highest rate rounded up to 10 %, at least 20 %, so
    that low rates (most of France) are still told apart; the colour bar shows it."""
    top = pd.to_numeric(rates, errors="coerce").max()
    if pd.isna(top):
        return 1.0
    return float(min(1.0, max(0.2, math.ceil(top * 10) / 10)))


def rate_map(areas: dict, rates: pd.DataFrame, points: pd.DataFrame | None = None, *,
             outlines: dict | None = None, basemap: bool = False, height: int = 620,
             fit: bool = False, area_column: str = "departement",
             names: bool = True) -> go.Figure:
    """France (or a région): areas coloured by publishing rate, obliged communes as
    points coloured by status.

    ``rates``: code, nom, taux, obligees, publiant (codes match ``areas`` ids);
    ``points``: siren, nom, lon, lat, population_totale, obligation, statut, and
    ``area_column`` (the area each point lies in: a click on a point then drills into
    its area, as a click beside it would, instead of opening a sheet by accident);
    ``names``: write each area's name on it (a dozen régions, or a région's départements).
    """
    fig = go.Figure()
    data = rates.copy()
    top = rate_ceiling(data["taux"])
    data["texte"] = [
        f"{nom}<br>Taux : {'sans objet' if pd.isna(t) else pourcentage(t, 1)}"
        f"<br>{nombre(p)} publient sur {nombre(o)} obligées"
        for nom, t, p, o in zip(data["nom"], data["taux"], data["publiant"], data["obligees"],
                                strict=True)]
    fig.add_trace(go.Choroplethmap(
        geojson=areas, locations=data["code"], z=data["taux"].astype("float64"),
        zmin=0, zmax=top, colorscale=RATE_SCALE, marker_line_color="#666",
        marker_line_width=0.6,
        text=data["texte"], hovertemplate="%{text}<extra></extra>", customdata=data["code"],
        colorbar=dict(title=dict(text="Taux"), thickness=12, len=0.45, **_percent_ticks(top),
                      x=0.99, xanchor="right", y=0.02, yanchor="bottom",
                      bgcolor="rgba(255,255,255,0.85)"),
        name="Taux de publication", showlegend=False))
    if points is not None and not points.empty:
        pts = points.dropna(subset=["lon", "lat"])
        cats = category(pts)
        # Publishing communes last (on top) and larger: they are the few to see.
        for cat, size in ((vocab.A_VERIFIER, 4), (vocab.NON_PUBLIE, 4), (vocab.INCONNU, 5),
                          (vocab.VIA_TIERS, 7), (vocab.PUBLIE, 7)):
            part = pts[cats.eq(cat)]
            if part.empty:
                continue
            fig.add_trace(go.Scattermap(
                lon=part["lon"], lat=part["lat"], mode="markers",
                marker=dict(size=size, color=STATUS_COLORS[cat], opacity=0.9),
                text=_hover(part), customdata=part[area_column].astype(str),
                name=CATEGORY_LABELS[cat], hovertemplate="%{text}<extra></extra>"))
    label = names_trace(areas, dict(zip(data["code"].astype(str), data["nom"].astype(str),
                                        strict=True))) if names else None
    if label is not None:
        fig.add_trace(label)
    # France: metropolitan view (overseas régions are reached through the selector).
    view = view_for(areas) if fit else FRANCE_VIEW
    lines = [(areas, "#777", 0.6), (outlines or {}, "#333", 1.2)]
    return _layout(fig, view, lines, basemap, height)


def commune_map(communes: dict, rows: pd.DataFrame, *, epci_outlines: dict | None = None,
                area_outline: dict | None = None, basemap: bool = False,
                height: int = 620, by_grade: bool = False) -> go.Figure:
    """One département (or EPCI): commune polygons coloured by status (or, ``by_grade``,
    by publication grade), EPCI outlines.

    ``rows``: code_insee, siren, nom, population_totale, obligation, statut (and ``note``
    for ``by_grade``).
    """
    fig = go.Figure()
    by_code = {f["id"]: f for f in communes.get("features", [])}
    if by_grade:
        cats, colours, labels = grade_category(rows), GRADE_COLORS, GRADE_CATEGORY_LABELS
        order = (vocab.NON_OBLIGEE, vocab.A_VERIFIER, NO_GRADE, *reversed(vocab.NOTE.codes))
    else:
        cats, colours, labels = category(rows), STATUS_COLORS, CATEGORY_LABELS
        order = (vocab.NON_OBLIGEE, vocab.A_VERIFIER, vocab.NON_PUBLIE, vocab.INCONNU,
                 vocab.VIA_TIERS, vocab.PUBLIE)
    for cat in order:
        part = rows[cats.eq(cat)]
        if part.empty:
            continue
        color = colours[cat]
        # Each trace gets only its own polygons: the browser parses each shape once.
        own = {"type": "FeatureCollection",
               "features": [by_code[c] for c in part["code_insee"].astype(str) if c in by_code]}
        fig.add_trace(go.Choroplethmap(
            geojson=own, locations=part["code_insee"], z=[1] * len(part),
            colorscale=[[0, color], [1, color]], showscale=False,
            marker_line_color="#ffffff", marker_line_width=0.4,
            text=_hover(part), customdata=part["siren"], hovertemplate="%{text}<extra></extra>",
            name=labels[cat], showlegend=True))
    view = view_for(area_outline or communes)
    biggest = rows.sort_values("population_totale", ascending=False, na_position="last")
    biggest = biggest.head(NAMES_SHOWN)
    label = names_trace(communes, dict(zip(biggest["code_insee"].astype(str),
                                           biggest["nom"].astype(str), strict=True)),
                        zoom=view["zoom"])
    if label is not None:
        fig.add_trace(label)
    outlines = [(epci_outlines or {}, "#333", 1.6), (area_outline or {}, "#000", 2.2)]
    return _layout(fig, view, outlines, basemap, height)


def trace_codes(fig: go.Figure) -> list[str]:
    """All ``locations`` drawn by a figure (tests and benchmarks count polygons)."""
    out: list[str] = []
    for trace in fig.data:
        if getattr(trace, "locations", None) is not None:
            out.extend(str(c) for c in trace.locations)
    return out
