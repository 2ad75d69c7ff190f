"""A harvest started from a page: the same ``python -m odlab_compliance harvest`` an
operator runs, launched as a process of its own so that it outlives the click (a
harvest takes minutes; a Streamlit run must not) and writes through the same short
connections as the command line (``db.connect`` waits for the lock).

One at a time: a pid file in ``ODLAB_HOME`` says whether the last one still runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from odlab_compliance.cli import harvest as harvest_cli
from odlab_compliance.config import PROJECT_ROOT, Settings

PID_FILE = "collecte-tableau-de-bord.pid"
LOG_FILE = "collecte-tableau-de-bord.log"
# The processes this server started, so that a finished one is reaped (poll) instead of
# lingering as a zombie that still answers "alive".
_CHILDREN: dict[int, subprocess.Popen] = {}


def _pid_path(settings: Settings) -> Path:
    return settings.home / PID_FILE


def running(settings: Settings) -> datetime | None:
    """When the harvest started from a page began, if it still runs; else None."""
    path = _pid_path(settings)
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        return None
    try:
        os.kill(pid, 0)   # signal 0: is the process still there (no signal sent)
    except ProcessLookupError:
        return None
    except PermissionError:   # alive, owned by another user
        pass
    stat = Path(f"/proc/{pid}/cmdline")
    if stat.exists() and b"odlab_compliance" not in stat.read_bytes():
        return None   # the pid was reused by an unrelated process
    return datetime.fromtimestamp(path.stat().st_mtime)


def start_harvest(settings: Settings) -> bool:
    """Launch a full harvest in the background; False when one is already running."""
    if running(settings) is not None:
        return False
    settings.home.mkdir(parents=True, exist_ok=True)
    log = open(settings.home / LOG_FILE, "ab")  # noqa: SIM115 (handed to the child)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "odlab_compliance", harvest_cli.COMMAND, "--quiet"],
            cwd=PROJECT_ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        log.close()
    _CHILDREN[proc.pid] = proc
    _pid_path(settings).write_text(f"{proc.pid}\n", encoding="utf-8")
    return True
