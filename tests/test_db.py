"""The DuckDB file: migrations are applied once, transactions are all or nothing."""

from __future__ import annotations

import pytest

from odlab_compliance.db import connect, migrate, migrations, transaction


def test_migrations_apply_once(tmp_path):
    path = tmp_path / "x.duckdb"
    with connect(path=path) as con:
        versions = [v for v, *_ in migrations()]
        rows = con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        assert [r[0] for r in rows] == versions
    with connect(path=path) as con:
        assert migrate(con) == []


def test_transaction_rolls_back(tmp_path):
    with connect(path=tmp_path / "x.duckdb") as con:
        with pytest.raises(RuntimeError), transaction(con):
            con.execute("INSERT INTO agents (siren, source) VALUES (?, ?)", ["210100012", "x"])
            raise RuntimeError("boom")
        assert con.execute("SELECT count(*) FROM agents").fetchone()[0] == 0


def test_read_only_while_closed(tmp_path):
    path = tmp_path / "x.duckdb"
    with connect(path=path):
        pass
    with connect(path=path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ref_collectivite").fetchone()[0] == 0
