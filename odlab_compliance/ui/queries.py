"""Plain reads of the reference tables for the dashboard (no streamlit, no cache: the
cache sits in ``ui.cache``). Queries are one-table selects in ``db/sql/`` named by their
grain (``collectivite_located``, ``territoire_of_vintage``, ``ref_geometry_level``...),
values bound. What the database holds (tables, vintages) is asked of ``db.facts``."""

from __future__ import annotations

import duckdb
import pandas as pd

from odlab_compliance import db

GEOMETRY_LEVELS = ("COM", "EPCI", "DEP", "REG")


def reference(con: duckdb.DuckDBPyConnection, vintage: int) -> pd.DataFrame:
    """One row per collectivité of the vintage (identity, hierarchy, population, centroid)."""
    return con.execute(db.sql("collectivite_located"), [vintage]).df()


def territories(con: duckdb.DuckDBPyConnection, vintage: int) -> pd.DataFrame:
    """One row per région and département of the vintage."""
    return con.execute(db.sql("territoire_of_vintage"), [vintage]).df()


def geometries(con: duckdb.DuckDBPyConnection, vintage: int, niveau: str) -> pd.DataFrame:
    """One row per geometry of a level (code, nom, WKB)."""
    if niveau not in GEOMETRY_LEVELS:
        raise ValueError(f"niveau inconnu : {niveau}")
    return con.execute(db.sql("ref_geometry_level"), [vintage, niveau]).df()


def reference_loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per loaded vintage: when, counts and warnings (JSON texts)."""
    return con.execute(db.sql("reference_load")).df()


def source_fetches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Latest file obtained per source and vintage (origin, retrieval date, checksum)."""
    return con.execute(db.sql("source_fetch_latest")).df()
