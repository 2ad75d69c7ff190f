"""Display geometries and centroids: GeoJSON in, (code, nom, geometry) frames out.

Reads both the mirror files and Etalab's "contours administratifs" (``.geojson.gz``):
each feature is keyed by ``code`` (the mirror's EPCI file uses ``epci_siren``); other
attributes come from the reference tables. Shared borders are simplified with topojson,
which simplifies each border once for both neighbours, so no gap or overlap opens
between them (simplifying polygon by polygon does open gaps).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
import topojson

from odlab_compliance.errors import InputError, LineError
from odlab_compliance.ingest.reference.jsonfile import is_gzip, load_json

KEYS = ("code", "epci_siren")
# Coordinates rounded to 1e-4 degree (about 10 m): far below what a map shows, and it
# keeps the WKB and GeoJSON payload small.
GRID = 1e-4
# Douglas-Peucker tolerance (degrees) of the shared-border simplification, per level. The
# mirror's communes are already simplified and topojson takes ~20 s on 35,000 of them
# for almost no gain, so communes are only rounded (None).
TOLERANCE: dict[str, float | None] = {"COM": None, "EPCI": 0.005, "DEP": 0.003, "REG": 0.005}


def read_geojson(path: Path) -> gpd.GeoDataFrame:
    """Features of a GeoJSON (or .geojson.gz) file as (code, nom, geometry), WGS84.

    GDAL (pyogrio) reads a sound file ten times faster than Python; any doubt about the
    file (unreadable, no key, numeric codes, null geometries) sends it through the strict
    Python reader, whose errors name the faulty entity.
    """
    src = f"/vsigzip/{path}" if is_gzip(path) else str(path)
    try:
        fields = list(pyogrio.read_info(src)["fields"])
        key = next(k for k in KEYS if k in fields)
        columns = [key] + (["nom"] if "nom" in fields else [])
        df = pyogrio.read_dataframe(src, columns=columns)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, StopIteration,
            RuntimeError):
        return _read_geojson_strict(path)
    sound = (pd.api.types.is_string_dtype(df[key]) and df[key].notna().all()
             and df.geometry.notna().all() and len(df))
    if not sound:
        return _read_geojson_strict(path)
    out = gpd.GeoDataFrame({"code": df[key].astype(str).to_numpy(),
                            "nom": df["nom"].to_numpy() if "nom" in df else None},
                           geometry=df.geometry.to_numpy(), crs="EPSG:4326")
    return out


def _read_geojson_strict(path: Path) -> gpd.GeoDataFrame:
    data = load_json(path, expect=dict)
    features = data.get("features")
    if data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InputError(str(path), "une FeatureCollection GeoJSON est attendue")
    codes, noms, geoms, errors = [], [], [], []
    for i, feat in enumerate(features, start=1):
        props = (feat or {}).get("properties") or {}
        code = next((props[k] for k in KEYS if props.get(k) not in (None, "")), None)
        if not isinstance(code, str):
            errors.append(LineError(i, f"entité n° {i} : code {code!r} absent ou enregistré "
                                       "comme un nombre (texte attendu)"))
            continue
        try:
            geom = shapely.geometry.shape(feat["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            errors.append(LineError(i, f"entité n° {i} ({code}) : géométrie illisible ({exc})"))
            continue
        codes.append(code)
        noms.append(props.get("nom"))
        geoms.append(geom)
    if errors:
        # GeoJSON files are often one line: the entity number is what locates a problem.
        raise InputError(str(path), "contours inutilisables (numéro d'entité indiqué)", errors)
    return gpd.GeoDataFrame({"code": codes, "nom": noms}, geometry=geoms, crs="EPSG:4326")


def rekey(gdf: gpd.GeoDataFrame, former: pd.DataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Re-key outlines of merged communes to their current code and dissolve them.

    ``former``: (ancien_code, code). Returns the frame and the number of re-keyed outlines.
    """
    mapping = former.set_index("ancien_code")["code"]
    known = set(former["code"])
    old = gdf["code"].isin(mapping.index) & ~gdf["code"].isin(known)
    if not old.any():
        return gdf, 0
    gdf = gdf.copy()
    gdf.loc[old, "code"] = gdf.loc[old, "code"].map(mapping)
    dup = gdf["code"].duplicated(keep=False)
    merged = gdf[dup].dissolve(by="code", aggfunc="first", as_index=False)
    out = pd.concat([gdf[~dup], merged[["code", "nom", "geometry"]]], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=gdf.crs), int(old.sum())


def centroids(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """(code, lon, lat, area): the centroid, or a point on the surface when the centroid
    falls outside the shape (crescent-shaped or island communes), so a map point always
    lies in its collectivité. ``area`` (square degrees) weights aggregated centroids."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    c = shapely.centroid(geoms)
    inside = shapely.contains_xy(geoms, shapely.get_x(c), shapely.get_y(c))
    pts = np.where(inside, c, shapely.point_on_surface(geoms))
    return pd.DataFrame({"code": gdf["code"].to_numpy(), "lon": shapely.get_x(pts),
                         "lat": shapely.get_y(pts), "area": shapely.area(geoms)})


def combine_centroids(parts: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Area-weighted centroid of groups of parts (the centroid of their union).

    ``parts``: code, lon, lat, area; ``groups``: groupe, code. Returns groupe, lon, lat.
    """
    m = groups.merge(parts, on="code", how="inner")
    m = m[m["area"] > 0]
    m["wx"] = m["lon"] * m["area"]
    m["wy"] = m["lat"] * m["area"]
    s = m.groupby("groupe")[["wx", "wy", "area"]].sum()
    return pd.DataFrame({"groupe": s.index, "lon": (s["wx"] / s["area"]).to_numpy(),
                         "lat": (s["wy"] / s["area"]).to_numpy()})


def simplify(gdf: gpd.GeoDataFrame, tolerance: float | None) -> gpd.GeoDataFrame:
    """Shared-border simplification (topojson) then rounding to ``GRID``; valid output."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if tolerance:
        topo = topojson.Topology(gdf[["code", "geometry"]], prequantize=False,
                                 toposimplify=tolerance).to_gdf()
        simplified = np.asarray(topo.geometry.values, dtype=object)
        # A tiny island can collapse to nothing: keep its original outline then.
        keep = shapely.is_empty(simplified) | pd.isna(simplified)
        geoms = np.where(keep, geoms, simplified).astype(object)
    bad = ~shapely.is_valid(geoms)
    if bad.any():  # only the few invalid ones: make_valid costs ~1 s on 35,000 communes
        # "structure" keeps polygons polygons (the default may add stray lines).
        geoms[bad] = shapely.make_valid(geoms[bad], method="structure", keep_collapsed=False)
    if not _on_grid(geoms):
        geoms = shapely.set_precision(geoms, GRID)
    return gpd.GeoDataFrame({"code": gdf["code"].to_numpy(), "nom": gdf["nom"].to_numpy()},
                            geometry=geoms, crs=gdf.crs)


def _on_grid(geoms: np.ndarray) -> bool:
    """True when every coordinate is already a multiple of ``GRID`` (the mirror's files
    are): rounding them again would cost seconds for nothing."""
    xy = shapely.get_coordinates(geoms) / GRID
    return bool(np.all(np.abs(xy - np.round(xy)) < 1e-6))


def geojson_bytes(geoms: np.ndarray) -> int:
    """Size of the geometries as GeoJSON text: what a map sends to the browser."""
    return int(sum(len(s) for s in shapely.to_geojson(geoms)))


def to_rows(gdf: gpd.GeoDataFrame, vintage: int, niveau: str) -> pd.DataFrame:
    """Rows of ``ref_geometry`` (WKB)."""
    return pd.DataFrame({
        "vintage": vintage, "niveau": niveau, "code": gdf["code"].to_numpy(),
        "nom": gdf["nom"].to_numpy(),
        "geometry": list(shapely.to_wkb(np.asarray(gdf.geometry.values, dtype=object))),
    })

