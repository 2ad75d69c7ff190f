"""The run journal: a run row is opened before fetching and closed with its snapshot.

Lifecycle: ``start_run`` commits a ``running`` row (no data yet); the fetchers work
without the database; ``save.save_snapshot`` writes every row of the snapshot and closes
the run in ONE transaction. A process killed at any point therefore leaves either a
``running`` row with no visible data, or a complete snapshot. ``recover_stale`` marks the
``running`` rows of dead processes ``failed`` at the next start.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from odlab_compliance import db, vocab

VISIBLE = vocab.VISIBLE_RUNS
INTERRUPTED_MESSAGE = "interrompu : le processus s'est arrêté avant la fin du moissonnage"


def now() -> datetime:
    """Naive UTC timestamp (DuckDB TIMESTAMP has no zone)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _pid_alive(pid: int | None, host: str | None) -> bool:
    if host != socket.gethostname():
        return True  # another machine's process cannot be checked from here: keep it
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_stale(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Mark ``failed`` the running rows whose process is gone; return their ids."""
    rows = con.execute("SELECT run_id, pid, host FROM harvest_run WHERE status = ?",
                       [vocab.RUN_RUNNING]).fetchall()
    stale = [r[0] for r in rows if not _pid_alive(r[1], r[2])]
    for run_id in stale:
        con.execute(
            "UPDATE harvest_run SET status = ?, ended_at = ?, message = ? WHERE run_id = ?",
            [vocab.RUN_FAILED, now(), INTERRUPTED_MESSAGE, run_id])
    return stale


def start_run(con: duckdb.DuckDBPyConnection, kind: str, sources: list[str], *,
              snapshot_date: date | None = None, territory: str | None = None) -> int:
    """Recover stale runs, then open a ``running`` row; return its id."""
    with db.transaction(con):
        recover_stale(con)
        row = con.execute(
            "INSERT INTO harvest_run (kind, started_at, status, snapshot_date, sources, territory,"
            " pid, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id",
            [kind, now(), vocab.RUN_RUNNING, snapshot_date or now().date(), json.dumps(sources), territory,
             os.getpid(), socket.gethostname()]).fetchone()
    return int(row[0])


def finish_run(con: duckdb.DuckDBPyConnection, run_id: int, status: str, *,
               counts: dict | None = None, message: str | None = None,
               base_run_id: int | None = None) -> None:
    """Close a run (inside the caller's transaction when it writes the snapshot)."""
    con.execute(
        "UPDATE harvest_run SET status = ?, ended_at = ?, counts = ?, message = ?,"
        " base_run_id = ? WHERE run_id = ?",
        [status, now(), json.dumps(counts or {}, ensure_ascii=False), message, base_run_id,
         run_id])


def fail_run(con: duckdb.DuckDBPyConnection, run_id: int, message: str) -> None:
    """Close a run that produced no snapshot (the previous one stays current)."""
    with db.transaction(con):
        finish_run(con, run_id, vocab.RUN_FAILED, message=message)


def latest_visible(con: duckdb.DuckDBPyConnection, kind: str = vocab.KIND_HARVEST
                   ) -> int | None:
    """Id of the most recent finished snapshot of ``kind`` (None when there is none)."""
    row = con.execute(
        "SELECT max(run_id) FROM harvest_run WHERE kind = ? AND status IN (?, ?)",
        [kind, *VISIBLE]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every run, newest first, with its sources' outcomes and error counts."""
    return con.execute(db.sql("harvest_runs")).df()


def runs_with_errors(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``runs`` plus the first item errors of each run (``erreurs``)."""
    errs = con.execute(db.sql("harvest_error_summary")).df()
    return runs(con).merge(errs, on="run_id", how="left")


def errors(con: duckdb.DuckDBPyConnection, run_id: int) -> pd.DataFrame:
    """Per-item errors of one run."""
    return con.execute(
        "SELECT source_key, item, message FROM harvest_error WHERE run_id = ?"
        " ORDER BY source_key, item", [run_id]).df()
