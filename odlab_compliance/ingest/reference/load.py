"""Load one reference vintage: fetch, parse, build, then replace that vintage atomically.

Everything that can fail on input (downloads, parsing, geometry) happens before the
database is touched; the writes happen in ONE transaction, so a failure leaves the
database as it was and other vintages, agents and user tables are never touched.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from odlab_compliance import db
from odlab_compliance.config import Settings
from odlab_compliance.ingest.reference import build as B
from odlab_compliance.ingest.reference import cog, geometry, populations, siren
from odlab_compliance.ingest.reference.jsonfile import load_json
from odlab_compliance.ingest.sources import (
    FetchResult,
    ProgressFactory,
    Source,
    SourceUnavailable,
    all_sources,
    fetch,
    record_fetch,
)

REQUIRED = ("cog-communes", "cog-epci", "cog-departements", "cog-regions",
            "siren-departements-regions", "geo-communes", "geo-epci", "geo-departements",
            "geo-regions")
OPTIONAL = ("cog-ept", "insee-populations-legales")
# Sources the load can do without, saying so: the compiled SIREN table has no official
# download (without it the SIREN of départements and régions stay empty); without INSEE's
# populations légales the découpage files' populations are used, one millésime at a time;
# without an EPT file the EPT are not loaded.
SOFT = ("siren-departements-regions", "cog-ept", "insee-populations-legales")
SOFT_LABELS = {
    "siren-departements-regions": ("SIREN des départements et régions non chargés", " Un "
                                   "dossier miroir ne contenant que ce fichier suffit."),
    "cog-ept": ("EPT du Grand Paris non chargés", ""),
    "insee-populations-legales": (
        "Populations légales de l'Insee non obtenues : les populations du découpage "
        "administratif sont utilisées, sans jamais mélanger deux millésimes (voir le motif "
        "de chaque commune)", ""),
}
GEO_LEVELS = {"COM": "geo-communes", "EPCI": "geo-epci", "DEP": "geo-departements",
              "REG": "geo-regions"}

# Tables replaced by a load, per vintage (constants: never built from input).
DELETES = (
    "DELETE FROM ref_collectivite WHERE vintage = ?",
    "DELETE FROM ref_territoire WHERE vintage = ?",
    "DELETE FROM ref_geometry WHERE vintage = ?",
    "DELETE FROM ref_load WHERE vintage = ?",
    "DELETE FROM ref_commune_ancienne WHERE vintage = ?",
)
INSERTS = {
    "new_collectivite": "INSERT INTO ref_collectivite BY NAME SELECT * FROM new_collectivite",
    "new_territoire": "INSERT INTO ref_territoire BY NAME SELECT * FROM new_territoire",
    "new_geometry": "INSERT INTO ref_geometry BY NAME SELECT * FROM new_geometry",
    "new_ancienne": "INSERT INTO ref_commune_ancienne BY NAME SELECT * FROM new_ancienne",
}
INSERT_LOAD = ("INSERT INTO ref_load (vintage, loaded_at, counts, warnings, populations) "
               "VALUES (?, ?, ?, ?, ?)")

Step = Callable[[str], None]


@dataclass
class LoadReport:
    vintage: int
    counts: dict[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def pick_source(source_id: str, vintage: int) -> Source | None:
    """The registered source of ``vintage``, else its latest earlier vintage, else None."""
    candidates = [s for s in all_sources() if s.id == source_id and s.vintage <= vintage]
    return max(candidates, key=lambda s: s.vintage) if candidates else None


def fetch_all(vintage: int, settings: Settings, progress: ProgressFactory | None = None,
              step: Step | None = None, refresh: bool = False
              ) -> tuple[dict[str, FetchResult], list[str]]:
    """Local files of every source of the vintage (mirror, cache or download; ``refresh``:
    not the cache). A file whose layout changed stops here, before any write."""
    main = pick_source("cog-communes", vintage)
    if main is None or main.vintage != vintage:
        known = sorted({s.vintage for s in all_sources() if s.id == "cog-communes"})
        raise ValueError(f"millésime {vintage} inconnu (millésimes disponibles : "
                         f"{', '.join(map(str, known))})")
    files: dict[str, FetchResult] = {}
    warnings: list[str] = []
    for source_id in REQUIRED + OPTIONAL:
        source = pick_source(source_id, vintage)
        if source is None:
            continue  # an optional source missing for this vintage: build() says so
        if step:
            step(f"source {source_id}")
        try:
            files[source_id] = fetch(source, settings, progress=progress,
                                     optional=source_id in OPTIONAL, refresh=refresh)
        except SourceUnavailable as exc:
            # An optional source registered but unobtainable (an older mirror without it,
            # offline) is a warning, not a failure; build() says what is missing.
            if source_id not in SOFT:
                raise
            what, tip = SOFT_LABELS[source_id]
            warnings.append(f"Source {source_id} indisponible — {what} : {exc}{tip}")
            continue
        if source.vintage != vintage:
            warnings.append(f"Source {source_id} : millésime {source.vintage} utilisé faute de "
                            f"fichier {vintage}.")
        if files[source_id].fallback:
            warnings.append(f"Source {source_id} : {files[source_id].fallback}.")
    return files, warnings


def _geometries(vintage: int, files: dict[str, FetchResult], built: B.Built,
                former: pd.DataFrame, report: LoadReport,
                step: Step | None) -> pd.DataFrame:
    """Simplified outlines (rows of ref_geometry); fills centroids into ``built``."""
    rows, sizes = [], {}
    cents: dict[str, pd.DataFrame] = {}
    for niveau, source_id in GEO_LEVELS.items():
        if step:
            step(f"contours {niveau}")
        gdf = geometry.read_geojson(files[source_id].path)
        if niveau == "COM":
            gdf, n = geometry.rekey(gdf, former)
            if n:
                report.warnings.append(f"{n} contour(s) de communes fusionnées rattaché(s) à "
                                       "leur commune nouvelle (anciens codes).")
        cents[niveau] = geometry.centroids(gdf)
        names = _names(niveau, built)
        gdf["nom"] = gdf["code"].map(names).fillna(gdf["nom"])
        simple = geometry.simplify(gdf, geometry.TOLERANCE[niveau])
        sizes[niveau] = geometry.geojson_bytes(np.asarray(simple.geometry.values, dtype=object))
        rows.append(geometry.to_rows(simple, vintage, niveau))
        _match_warning(niveau, set(gdf["code"]), _expected_codes(niveau, built), report)
    report.counts["geojson_octets"] = sizes
    _fill_centroids(built, cents)
    return pd.concat(rows, ignore_index=True)


def _names(niveau: str, built: B.Built) -> pd.Series:
    """code -> name from the reference (outline files may carry older names)."""
    if niveau in ("DEP", "REG"):
        t = built.territoires
        return t[t["niveau"].eq(niveau)].set_index("code")["nom"]
    c = built.collectivites
    types = {"COM"} if niveau == "COM" else set(B.EPCI_TYPES.values())
    return c[c["type"].isin(types)].drop_duplicates("code_insee").set_index("code_insee")["nom"]


def _expected_codes(niveau: str, built: B.Built) -> set[str]:
    coll, terr = built.collectivites, built.territoires
    if niveau == "COM":
        return set(coll.loc[coll["type"].eq("COM"), "code_insee"])
    if niveau == "EPCI":
        return set(coll.loc[coll["type"].isin(set(B.EPCI_TYPES.values())), "code_insee"])
    return set(terr.loc[terr["niveau"].eq(niveau), "code"])


def _match_warning(niveau: str, have: set[str], want: set[str], report: LoadReport) -> None:
    lacking, extra = sorted(want - have), sorted(have - want)
    if lacking or extra:
        report.warnings.append(
            f"Contours {niveau} : {len(lacking)} code(s) du référentiel sans contour"
            f"{' ni centroïde' if niveau == 'COM' and lacking else ''}"
            f"{' (' + B.codes_text(lacking) + ')' if lacking else ''}, {len(extra)} contour(s) "
            f"sans code du référentiel{' (' + B.codes_text(extra) + ')' if extra else ''}.")


def _fill_centroids(built: B.Built, cents: dict[str, pd.DataFrame]) -> None:
    """lon/lat of every row: communes from their outline; EPCI and EPT from their member
    communes (area-weighted, i.e. the centroid of their union); départements and régions
    from the territories whose powers they exert, at their own level."""
    coll = built.collectivites
    com = cents["COM"]
    points = {("COM", r.code): (r.lon, r.lat) for r in com.itertuples()}
    members = pd.concat([
        coll.loc[coll["epci_siren"].notna(), ["epci_siren", "code_insee"]].set_axis(
            ["groupe", "code"], axis=1),
        coll.loc[coll["ept_siren"].notna(), ["ept_siren", "code_insee"]].set_axis(
            ["groupe", "code"], axis=1),
    ])
    for r in geometry.combine_centroids(com, members).itertuples():
        points[("GRP", r.groupe)] = (r.lon, r.lat)
    terr = built.territoires
    for niveau in ("DEP", "REG"):
        own = terr[terr["niveau"].eq(niveau) & terr["collectivite_type"].eq(niveau)]
        groups = own[["collectivite_code", "code"]].set_axis(["groupe", "code"], axis=1)
        for r in geometry.combine_centroids(cents[niveau], groups).itertuples():
            points[(niveau, r.groupe)] = (r.lon, r.lat)
    # A collectivité whose territory is a set of communes (the Rhône without the
    # Métropole de Lyon): the centroid of those communes, not of the geographic area.
    for (kind, code), codes in built.commune_sets.items():
        members = pd.DataFrame({"groupe": code, "code": codes})
        for r in geometry.combine_centroids(com, members).itertuples():
            points[(kind, r.groupe)] = (r.lon, r.lat)
    keys = [(t if t in ("COM", "DEP", "REG") else "GRP", c)
            for t, c in zip(coll["type"], coll["code_insee"], strict=True)]
    coords = [points.get(k, (np.nan, np.nan)) for k in keys]
    coll["lon"] = [c[0] for c in coords]
    coll["lat"] = [c[1] for c in coords]


def prepare(vintage: int, files: dict[str, FetchResult], report: LoadReport,
            step: Step | None = None) -> tuple[B.Built, pd.DataFrame]:
    """Parse and build every row of the vintage (no database access)."""
    if step:
        step("lecture du COG")
    path = files["cog-communes"].path
    raw_communes = load_json(path)
    communes = cog.parse_communes(raw_communes, path)
    former = cog.parse_former_codes(raw_communes)
    groups = {}
    for source_id in ("cog-epci", "cog-ept"):
        if source_id in files:
            p = files[source_id].path
            groups[source_id] = cog.parse_groups(load_json(p), p)
    dep_p, reg_p = files["cog-departements"].path, files["cog-regions"].path
    territoires = cog.parse_territoires(load_json(dep_p), dep_p, load_json(reg_p), reg_p)
    sirens = (siren.parse_siren_table(files["siren-departements-regions"].path)
              if "siren-departements-regions" in files
              else pd.DataFrame(columns=siren.COLUMNS))
    insee, declared = None, None
    if "insee-populations-legales" in files:
        if step:
            step("lecture des populations légales")
        got = files["insee-populations-legales"]
        current = communes.loc[communes["zone"].ne(B.COM_ZONE), "code"].tolist()
        insee = populations.for_cog(populations.parse_insee(got.path), current, former)
        declared = pick_source("insee-populations-legales", vintage).millesime
    built = B.build(vintage, communes, groups["cog-epci"], groups.get("cog-ept"),
                    territoires, sirens, insee=insee, insee_declared=declared)
    built.anciennes = cog.parse_former_communes(raw_communes).assign(vintage=vintage)
    report.warnings.extend(built.warnings)
    report.counts.update(built.counts)
    geoms = _geometries(vintage, files, built, former, report, step)
    report.counts["geometries"] = {k: int(v) for k, v in
                                   geoms["niveau"].value_counts().sort_index().items()}
    return built, geoms


def save(con: duckdb.DuckDBPyConnection, vintage: int, built: B.Built, geoms: pd.DataFrame,
         files: dict[str, FetchResult], report: LoadReport) -> None:
    """Replace the vintage's reference rows, all or nothing."""
    frames = {"new_collectivite": built.collectivites, "new_territoire": built.territoires,
              "new_geometry": geoms, "new_ancienne": built.anciennes}
    # DuckDB draws its own progress bar on long statements: it would garble the CLI's.
    con.execute("SET enable_progress_bar = false")
    with db.transaction(con):
        for sql in DELETES:
            con.execute(sql, [vintage])
        for name, frame in frames.items():
            con.register(name, frame)
            try:
                con.execute(INSERTS[name])
            finally:
                con.unregister(name)
        for f in files.values():
            record_fetch(con, f)
        con.execute(INSERT_LOAD, [vintage, datetime.now(UTC).replace(tzinfo=None),
                                  json.dumps(report.counts, ensure_ascii=False),
                                  json.dumps(report.warnings, ensure_ascii=False),
                                  json.dumps(built.millesimes, ensure_ascii=False)])


def load_vintage(con: duckdb.DuckDBPyConnection, vintage: int, settings: Settings, *,
                 progress: ProgressFactory | None = None,
                 step: Step | None = None, refresh: bool = False) -> LoadReport:
    """Fetch, parse and store one reference vintage; return counts and French warnings."""
    start = time.monotonic()
    report = LoadReport(vintage)
    files, warnings = fetch_all(vintage, settings, progress, step, refresh)
    report.warnings.extend(warnings)
    built, geoms = prepare(vintage, files, report, step)
    if step:
        step("écriture en base")
    report.counts["secondes_preparation"] = round(time.monotonic() - start, 1)
    save(con, vintage, built, geoms, files, report)
    report.seconds = round(time.monotonic() - start, 1)
    return report


def geometry_frame(con: duckdb.DuckDBPyConnection, vintage: int, niveau: str
                   ) -> gpd.GeoDataFrame:
    """Stored outlines of a level as a GeoDataFrame (for the bench and checks)."""
    df = con.execute(db.sql("ref_geometry_level"), [vintage, niveau]).df()
    geoms = gpd.GeoSeries.from_wkb(df["geometry"].map(bytes), crs="EPSG:4326")
    return gpd.GeoDataFrame(df.drop(columns="geometry"), geometry=geoms)
