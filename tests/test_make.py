"""The Makefile, as the README uses it: `make run` serves the dashboard on the loopback
interface only, and every target runs in the project's virtual environment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from odlab_compliance.config import PROJECT_ROOT
from tests.fixtures.dashboard import browser

VENV = Path(sys.prefix)   # the environment running these tests (.venv under `make test`)
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}   # 127.0.0.1 and ::1, as /proc


def make(*args: str, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60, **kw)


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:   # 0A: LISTEN
                found.add(address)
    return found


@pytest.fixture(scope="module")
def have_make():
    if shutil.which("make") is None:
        pytest.fail("make est absent : apt-get install make")


@pytest.mark.slow
def test_make_run_listens_on_localhost_only(have_make, tmp_path):
    port = browser.free_port()
    env = {**os.environ, "ODLAB_HOME": str(tmp_path)}
    proc = subprocess.Popen(["make", "--no-print-directory", "run", f"VENV={VENV}",
                             f"PORT={port}"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "make run s'est arrêté"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",  # noqa: S310
                                            timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "make run ne répond pas en 60 s"
                time.sleep(0.3)
        addresses = listening_addresses(port)
        assert addresses, "aucune socket en écoute trouvée dans /proc/net"
        assert addresses <= LOOPBACK, f"écoute hors de la boucle locale : {addresses}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


@pytest.mark.parametrize("target,command", [
    ("run", "/bin/python -m streamlit run app.py --server.address localhost"),
    ("test", "/bin/python -m pytest"),
    ("lint", "/bin/python -m ruff check ."),
    ("bench", "/bin/python bench/run_all.py"),
])
def test_targets_use_the_project_environment(have_make, target, command):
    done = make("-n", target, f"VENV={VENV}")
    assert done.returncode == 0, done.stderr
    assert f"{VENV}{command}" in " ".join(done.stdout.split())


def test_targets_without_environment_say_to_install_first(have_make, tmp_path):
    done = make("test", f"VENV={tmp_path / 'absent'}")
    assert done.returncode != 0
    assert "lancez d'abord make install" in done.stderr
