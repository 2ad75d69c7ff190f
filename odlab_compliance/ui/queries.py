"""Plain reads of the reference tables for the dashboard (no streamlit, no cache: the
cache sits in ``ui.cache``). Queries are one-table selects in ``db/sql/ui_*.sql`` (the
outlines reuse ``ref_geometry_level``), values bound."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from odlab_compliance import db, vocab

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
    return bool(con.execute(db.sql("ui_has_table"), [table]).fetchall()[0][0])


def loaded_vintages(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Reference vintages loaded (newest first); empty on a new database."""
    if not has_table(con, "ref_load"):
        return []
    return [int(r[0]) for r in con.execute(db.sql("ui_loaded_vintages")).fetchall()]


def snapshot_count(con: duckdb.DuckDBPyConnection) -> int:
    if not has_table(con, "harvest_run"):
        return 0
    return int(con.execute(db.sql("ui_snapshot_count"), list(vocab.VISIBLE_RUNS)).fetchall()[0][0])


def reference(con: duckdb.DuckDBPyConnection, vintage: int) -> pd.DataFrame:
    """One row per collectivité of the vintage (identity, hierarchy, population, centroid)."""
    return con.execute(db.sql("ui_reference"), [vintage]).df()


def territories(con: duckdb.DuckDBPyConnection, vintage: int) -> pd.DataFrame:
    """One row per région and département of the vintage."""
    return con.execute(db.sql("ui_territories"), [vintage]).df()


def geometries(con: duckdb.DuckDBPyConnection, vintage: int, niveau: str) -> pd.DataFrame:
    """One row per geometry of a level (code, nom, WKB)."""
    if niveau not in GEOMETRY_LEVELS:
        raise ValueError(f"niveau inconnu : {niveau}")
    return con.execute(db.sql("ref_geometry_level"), [vintage, niveau]).df()


def reference_loads(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per loaded vintage: when, counts and warnings (JSON texts)."""
    return con.execute(db.sql("ui_reference_loads")).df()


def source_fetches(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Latest file obtained per source and vintage (origin, retrieval date, checksum)."""
    return con.execute(db.sql("ui_source_fetches")).df()
