"""SIGKILL a harvest subprocess at several points: the previous snapshot stays current and
the database readable; a clean run afterwards gives the result of an uninterrupted one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from odlab_compliance import db
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.ingest.harvest import journal
from odlab_compliance.ingest.harvest.run import collectivites, run_harvest
from odlab_compliance.model import snapshots, status
from tests.fixtures.harvest import barrier
from tests.fixtures.harvest.site import Dataset, Org
from tests.fixtures.harvest.world import make_world
from tests.httpserver import Reply

EXPORT = "/api/1/site/{}.csv"


@pytest.fixture
def world(tmp_path, server, monkeypatch):
    w = make_world(tmp_path, server, monkeypatch)
    # A bigger catalogue so that writing the snapshot takes a little while.
    w.site.orgs.append(Org("5b0000000000000000000001", "Syndicat de test", "", ["local-authority"]))
    w.site.datasets += [Dataset(f"7b{i:022d}", "5b0000000000000000000001", f"Jeu {i}")
                        for i in range(3000)]
    w.serve()
    return w


def _view(settings):
    """What a reader sees: current snapshot id and every status."""
    with db.connect(settings) as con:
        snap = snapshots.list_snapshots(con)[0]
        st = status.status_for(con, collectivites(con), snap)
    cols = ["siren", "statut", "nb_jeux", "nb_jeux_datagouv", "schemas_scdl", "a_jour"]
    return snap.id, st[cols].astype(str).sort_values("siren").to_dict("records")


def _start(world, point: str | None = None, marker=None):
    """The real ``harvest`` command in a child process; with ``point``, it blocks there
    (tests/fixtures/harvest/barrier.py). A long HTTP timeout: a request the test holds
    open must not time out and move the run on behind the test's back."""
    args = ["harvest", "--source", "datagouv", "--quiet"]
    cmd = ([sys.executable, "-m", "tests.fixtures.harvest.barrier", point, str(marker), *args[1:]]
           if point else [sys.executable, "-m", "odlab_compliance", *args])
    return subprocess.Popen(cmd, cwd=PROJECT_ROOT,
                            env={**os.environ, "ODLAB_HTTP_TIMEOUT": "300"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition, proc, what, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"le moissonnage s'est terminé avant {what}"
        assert time.monotonic() < deadline, f"{what} : jamais atteint"
        time.sleep(0.01)


def _kill(proc):
    """SIGKILL a run that is still going (asserted: a kill after the end proves nothing)."""
    assert proc.poll() is None, "le moissonnage était déjà terminé"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _rows_of_run(settings, run_id):
    with db.connect(settings) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t} WHERE run_id = ?", [run_id]).fetchone()[0]
                for t in ("harvest_dataset", "harvest_publisher", "harvest_match",
                          "harvest_source")}


@pytest.fixture
def first(world):
    """A first complete snapshot, and what a reader sees of it."""
    done = run_harvest(world.settings, sources=["datagouv"])
    assert done.status == "done"
    view = _view(world.settings)
    assert view[0] == done.run_id
    return done, view


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["organizations", "resources"])
def test_sigkill_while_waiting_for_an_export(world, server, first, kind):
    """The process is blocked on a response the test's server holds: killed while fetching."""
    _, reference = first
    release = threading.Event()
    normal = world.site.export_handler(kind)

    def held(req):
        release.wait(60)
        return normal(req)

    path = EXPORT.format(kind)
    server.add(path, held)
    n = server.hits(path) + 1
    proc = _start(world)
    try:
        _wait(lambda: server.hits(path) >= n, proc, f"la requête {path}")
        _kill(proc)
    finally:
        release.set()
    world.site.install(server)
    assert _view(world.settings) == reference


@pytest.mark.slow
@pytest.mark.parametrize("point", barrier.POINTS)
def test_sigkill_at_each_step_of_the_run(world, first, tmp_path, point):
    """Killed after fetching, after matching, before writing, inside the transaction, or
    after the commit: the reader sees the previous snapshot, or (after the commit only) the
    complete new one; never a half snapshot. The next run closes the killed one."""
    done, reference = first
    marker = tmp_path / "barrier.json"
    proc = _start(world, point, marker)
    _wait(marker.exists, proc, f"le point {point}")
    reached = json.loads(marker.read_text())
    assert reached["point"] == point
    killed = reached["run_id"]
    assert killed is not None and killed > done.run_id
    _kill(proc)

    snap, rows = _view(world.settings)
    assert rows == reference[1]
    if point == "committed":
        assert snap == killed                      # complete, so visible
        assert _rows_of_run(world.settings, killed)["harvest_source"] > 0
    else:
        assert snap == reference[0]                # the previous one stays current
        assert set(_rows_of_run(world.settings, killed).values()) == {0}

    again = run_harvest(world.settings, sources=["datagouv"])
    assert again.status == "done" and again.run_id > killed
    snap, rows = _view(world.settings)
    assert snap == again.run_id and rows == reference[1]
    with db.connect(world.settings) as con:
        j = journal.runs_with_errors(con).set_index("run_id")
        n_again, n_first = (con.execute("SELECT count(*) FROM harvest_dataset WHERE run_id = ?",
                                        [r]).fetchone()[0] for r in (again.run_id, done.run_id))
    assert "running" not in set(j["status"])        # the killed run was closed
    if point == "committed":
        assert j.loc[killed, "status"] == "done"
    else:
        assert j.loc[killed, "status"] == "failed" and "interrompu" in j.loc[killed, "message"]
    assert n_again == n_first


def test_cli_exit_code_is_non_zero_when_a_source_failed(world, server, capsys):
    from odlab_compliance.cli import main
    server.add(EXPORT.format("datasets"), Reply(500, b"boom"))
    assert main(["harvest", "--source", "datagouv", "--quiet"]) == 1
    out = capsys.readouterr()
    assert "ÉCHEC" in out.out and "inconnu" in out.err
    assert main(["harvest", "runs"]) == 0
    out = capsys.readouterr().out
    assert "échec" in out and "datasets.csv" in out
