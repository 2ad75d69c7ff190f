"""Facts about what the database holds, each with one owner: whether a table exists,
which reference vintages are loaded, the newest one.

Every module that asks one of these questions calls this one (the SQL is in
``db/sql/table_exists.sql`` and ``db/sql/vintage_loaded.sql``). A reference vintage is
*loaded* when ``ref_collectivite`` holds its rows: the table every obligation, status and
match reads (a load replaces a vintage's rows and its ``ref_load`` record in one
transaction, so both agree).
"""

from __future__ import annotations

import duckdb

from odlab_compliance.db import sql


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when a table called ``name`` exists (False on a new, unmigrated database)."""
    return bool(con.execute(sql("table_exists"), [name]).fetchall()[0][0])


def loaded_vintages(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The loaded reference vintages, newest first; empty on a new database."""
    if not table_exists(con, "ref_collectivite"):
        return []
    return [int(r[0]) for r in con.execute(sql("vintage_loaded")).fetchall()]


def newest_vintage(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest loaded reference vintage (the collectivités that exist today), or None."""
    return next(iter(loaded_vintages(con)), None)
