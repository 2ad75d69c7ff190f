"""The DuckDB file: connection, numbered migrations, named SQL files.

DuckDB lets one process write a file at a time, so connections are short-lived: open,
work, close. ``connect`` waits a little when another process holds the lock (the CLI
harvesting while the dashboard reads), instead of failing at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from odlab_compliance.config import Settings, load_settings

HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = HERE / "migrations"
SQL_DIR = HERE / "sql"
_MIGRATION_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def migrations() -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration file, in order."""
    out = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        m = _MIGRATION_RE.match(p.name)
        if not m:
            raise ValueError(f"nom de migration invalide : {p.name}")
        out.append((int(m.group(1)), m.group(2), p))
    return out


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations not yet applied, each in its own transaction; return them."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, path in migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


@cache
def sql(name: str) -> str:
    """The text of ``db/sql/<name>.sql`` (queries live in files, values are bound)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _open(path: str, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(path, read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            # Another process holds the write lock, or (inside one process, e.g. the
            # dashboard) a connection with the other read_only setting is open: both pass.
            message = str(exc).lower()
            busy = "lock" in message or "different configuration" in message
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def connect(settings: Settings | None = None, *, path: str | Path | None = None,
            read_only: bool = False, wait: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the project's DuckDB file (migrated when writable), and close it afterwards."""
    if path is None:
        settings = settings or load_settings()
        path = settings.db_path
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = _open(str(path), read_only, wait)
    try:
        if not read_only:
            migrate(con)
        yield con
    finally:
        con.close()


@contextmanager
def reader(path: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A short read-only connection, or None when the database file does not exist yet
    (read-only, so the CLI can harvest while the dashboard is open)."""
    if not path.is_file():
        yield None
        return
    with connect(path=path, read_only=True, wait=20.0) as con:
        yield con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: a failure inside leaves the database as it was."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
