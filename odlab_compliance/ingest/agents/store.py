"""The ``agents`` table: writing a source's rows, and reading the effective count.

Writes are all or nothing (``db.transaction``). A Sirene stock import replaces every
``sirene`` row (the stock is a full picture); a prefecture file or an API fetch only
replaces the rows of the SIRENs it carries (it is a partial picture).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from odlab_compliance import db

SOURCES = ("sirene", "recherche_entreprises", "prefecture")
ROW_COLUMNS = ["siren", "tranche", "agents_min", "agents_max", "annee", "source_detail"]
_VIEW = "agents_rows"   # name under which the rows to write are registered in DuckDB

_INSERT = (
    "INSERT INTO agents (siren, source, tranche, agents_min, agents_max, annee, source_detail) "
    "SELECT siren, ?, tranche, agents_min, agents_max, annee, source_detail FROM agents_rows"
)
_DELETE_SOURCE = "DELETE FROM agents WHERE source = ?"
_DELETE_SIRENS = "DELETE FROM agents WHERE source = ? AND siren IN (SELECT siren FROM agents_rows)"
_COUNT_SOURCE = "SELECT count(*) FROM agents WHERE source = ?"
_COUNT_SIRENS = "SELECT count(*) FROM agents WHERE source = ? AND siren IN (SELECT unnest(?))"


def normalize_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with the table's columns and types (nullable integers, text SIREN)."""
    out = pd.DataFrame({c: rows[c] if c in rows else None for c in ROW_COLUMNS})
    out["siren"] = out["siren"].astype("string")
    out["tranche"] = out["tranche"].astype("string")
    out["source_detail"] = out["source_detail"].astype("string")
    for c in ("agents_min", "agents_max", "annee"):
        out[c] = pd.to_numeric(out[c], errors="raise").astype("Int64")
    return out


def _write(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, source: str,
           delete_sql: str, *, in_transaction: bool = False) -> int:
    if source not in SOURCES:
        raise ValueError(f"source inconnue : {source}")
    con.register(_VIEW, normalize_rows(rows))
    try:
        if in_transaction:
            con.execute(delete_sql, [source])
            con.execute(_INSERT, [source])
        else:
            with db.transaction(con):
                con.execute(delete_sql, [source])
                con.execute(_INSERT, [source])
    finally:
        con.unregister(_VIEW)
    return len(rows)


def replace_source(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, source: str) -> int:
    """Replace all rows of ``source`` by ``rows`` (one transaction); return the count written."""
    return _write(con, rows, source, _DELETE_SOURCE)


def upsert(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, source: str, *,
           in_transaction: bool = False) -> int:
    """Replace the rows of ``source`` for the SIRENs of ``rows`` only (one transaction, or
    the caller's when ``in_transaction``)."""
    return _write(con, rows, source, _DELETE_SIRENS, in_transaction=in_transaction)


def count_source(con: duckdb.DuckDBPyConnection, source: str,
                 sirens: list[str] | None = None) -> int:
    """Rows of ``source`` (only those of ``sirens`` when given)."""
    if sirens is None:
        return int(con.execute(_COUNT_SOURCE, [source]).fetchall()[0][0])
    return int(con.execute(_COUNT_SIRENS, [source, sirens]).fetchall()[0][0])


def effective_agents(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per SIREN: the count the obligation rules use (prefecture first).

    Columns: siren, agents_tranche, agents_min, agents_max, agents_annee, agents_source,
    agents_source_detail. ``agents_min``/``agents_max`` are NULL when the band is
    unknown (``NN`` or missing): unknown, never zero.
    """
    return con.execute(db.sql("agents_effectifs")).df()


def departement_sirens(con: duckdb.DuckDBPyConnection, departement: str) -> list[str]:
    """SIRENs of the collectivités of a département in the latest reference vintage."""
    sql = db.sql("agents_departement_sirens")
    return [r[0] for r in con.execute(sql, [departement, departement]).fetchall()]


def status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per loaded source: rows, known counts, ≥ 50, years, last import."""
    return con.execute(db.sql("agents_status")).df()
