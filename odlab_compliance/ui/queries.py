"""Plain reads of the reference tables for the dashboard (no streamlit, no cache: the
cache sits in ``ui.cache``). Queries are one-table selects with bound values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from odlab_compliance import db

REF_COLUMNS = ("siren, code_insee, nom, type, departement, region, epci_siren, ept_siren, "
               "population_totale, population_municipale, lon, lat")
GEOMETRY_LEVELS = ("COM", "EPCI", "DEP", "REG")


@contextmanager
def reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A short read-only connection, or None when the database file does not exist yet
    (read-only, so the CLI can harvest while the dashboard is open)."""
    if not path.is_file():
        yield None
        return
    with db.connect(path=path, read_only=True, wait=20.0) as con:
        yield con


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                      [table]).fetchall()
    return bool(row[0][0])


def loaded_vintages(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Reference vintages loaded (newest first); empty on a new database."""
    if not has_table(con, "ref_load"):
        return []
    rows = con.execute("SELECT vintage FROM ref_load ORDER BY vintage DESC").fetchall()
    return [int(r[0]) for r in rows]


def snapshot_count(con: duckdb.DuckDBPyConnection) -> int:
    if not has_table(con, "harvest_run"):
        return 0
    rows = con.execute("SELECT count(*) FROM harvest_run WHERE status IN ('done', 'done-errors')"
                       ).fetchall()
    return int(rows[0][0])


def reference(con: duckdb.DuckDBPyConnection, vintage: int) -> pd.DataFrame:
    """One row per collectivité of the vintage (identity, hierarchy, population, centroid)."""
    sql = f"SELECT {REF_COLUMNS} FROM ref_collectivite WHERE vintage = ?"  # noqa: S608 (constant)
    return con.execute(sql, [vintage]).df()


def territories(con: duckdb.DuckDBPyConnection, vintage: int) -> pd.DataFrame:
    """One row per région and département of the vintage."""
    return con.execute("SELECT niveau, code, nom, region, zone FROM ref_territoire "
                       "WHERE vintage = ? ORDER BY niveau, code", [vintage]).df()


def geometries(con: duckdb.DuckDBPyConnection, vintage: int, niveau: str) -> pd.DataFrame:
    """One row per geometry of a level (code, nom, WKB)."""
    if niveau not in GEOMETRY_LEVELS:
        raise ValueError(f"niveau inconnu : {niveau}")
    return con.execute("SELECT code, nom, geometry FROM ref_geometry "
                       "WHERE vintage = ? AND niveau = ?", [vintage, niveau]).df()


def reference_loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per loaded vintage: when, counts and warnings (JSON texts)."""
    return con.execute("SELECT vintage, loaded_at, counts, warnings FROM ref_load "
                       "ORDER BY vintage DESC").df()


def source_fetches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Latest file obtained per source and vintage (origin, retrieval date, checksum)."""
    return con.execute(
        "SELECT source_id, vintage, url, origin, retrieved_at, size, sha256 FROM source_fetch "
        "QUALIFY row_number() OVER (PARTITION BY source_id, vintage "
        "ORDER BY recorded_at DESC) = 1 ORDER BY source_id, vintage").df()
