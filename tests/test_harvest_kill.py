"""SIGKILL a harvest subprocess at several points: the previous snapshot stays current and
the database readable; a clean run afterwards gives the result of an uninterrupted one."""

from __future__ import annotations

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


def _start(world):
    return subprocess.Popen([sys.executable, "-m", "odlab_compliance", "harvest", "--source",
                             "datagouv", "--quiet"], cwd=PROJECT_ROOT, env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_hits(server, path, n, proc, timeout=60.0):
    deadline = time.monotonic() + timeout
    while server.hits(path) < n:
        assert proc.poll() is None, "le moissonnage s'est terminé avant le point d'arrêt"
        assert time.monotonic() < deadline, f"pas de requête sur {path}"
        time.sleep(0.01)


def _kill(proc):
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.slow
def test_sigkill_at_several_points_leaves_previous_snapshot(world, server):
    first = run_harvest(world.settings, sources=["datagouv"])
    assert first.status == "done"
    reference = _view(world.settings)
    assert reference[0] == first.run_id

    release = threading.Event()

    def blocking(kind):
        normal = world.site.export_handler(kind)

        def handler(req):
            release.wait(60)
            return normal(req)
        return handler

    # 1-2: killed while waiting for an export (during fetching).
    for kind in ("organizations", "resources"):
        path = EXPORT.format(kind)
        server.add(path, blocking(kind))
        n = server.hits(path) + 1
        proc = _start(world)
        _wait_hits(server, path, n, proc)
        _kill(proc)
        release.set()
        release.clear()
        world.site.install(server)
        assert _view(world.settings) == reference

    # 3+: killed after the last response, while parsing, matching or writing.
    for delay in (0.0, 0.3, 0.8, 1.5):
        path = EXPORT.format("resources")
        n = server.hits(path) + 1
        proc = _start(world)
        _wait_hits(server, path, n, proc)
        time.sleep(delay)
        if proc.poll() is None:
            _kill(proc)
        snap, rows = _view(world.settings)
        # Either the previous snapshot, or a complete new one: never a half snapshot.
        assert rows == reference[1]
        assert snap == reference[0] or snap > reference[0]

    # A clean run afterwards gives the same result as an uninterrupted one.
    again = run_harvest(world.settings, sources=["datagouv"])
    assert again.status == "done"
    snap, rows = _view(world.settings)
    assert snap == again.run_id and rows == reference[1]
    with db.connect(world.settings) as con:
        j = journal.runs_with_errors(con)
        assert "running" not in set(j["status"])   # stale rows were closed
        killed = j[j["status"] == "failed"]
        assert len(killed) >= 2
        assert killed["message"].str.contains("interrompu").all()
        n_ds = con.execute("SELECT count(*) FROM harvest_dataset WHERE run_id = ?",
                           [again.run_id]).fetchone()[0]
        n_first = con.execute("SELECT count(*) FROM harvest_dataset WHERE run_id = ?",
                              [first.run_id]).fetchone()[0]
    assert n_ds == n_first


def test_cli_exit_code_is_non_zero_when_a_source_failed(world, server, capsys):
    from odlab_compliance.cli import main
    server.add(EXPORT.format("datasets"), Reply(500, b"boom"))
    assert main(["harvest", "--source", "datagouv", "--quiet"]) == 1
    out = capsys.readouterr()
    assert "ÉCHEC" in out.out and "inconnu" in out.err
    assert main(["harvest", "runs"]) == 0
    out = capsys.readouterr().out
    assert "échec" in out and "datasets.csv" in out


CHILD = """
import pathlib, sys, time
from odlab_compliance.ingest.harvest import journal
marker = pathlib.Path(sys.argv[1])
finish = journal.finish_run

def finish_then_hang(con, run_id, status, **kw):
    # Runs INSIDE the snapshot's transaction: every row is written, nothing committed yet.
    finish(con, run_id, status, **kw)
    marker.write_text(str(run_id))
    time.sleep(600)

journal.finish_run = finish_then_hang
from odlab_compliance.cli import main
sys.exit(main(["harvest", "--source", "datagouv", "--quiet"]))
"""


@pytest.mark.slow
def test_sigkill_inside_the_snapshot_transaction(world, tmp_path):
    first = run_harvest(world.settings, sources=["datagouv"])
    reference = _view(world.settings)
    marker = tmp_path / "in-transaction"
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(marker)], cwd=PROJECT_ROOT,
                            env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    killed_run = int(marker.read_text())
    _kill(proc)
    assert _view(world.settings) == reference
    with db.connect(world.settings) as con:
        for table in ("harvest_dataset", "harvest_publisher", "harvest_match", "harvest_source"):
            n = con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?",
                            [killed_run]).fetchone()[0]
            assert n == 0, table
    again = run_harvest(world.settings, sources=["datagouv"])
    assert again.status == "done" and _view(world.settings)[1] == reference[1]
    with db.connect(world.settings) as con:
        st = con.execute("SELECT status, message FROM harvest_run WHERE run_id = ?",
                         [killed_run]).fetchone()
    assert st[0] == "failed" and "interrompu" in st[1]
    assert first.run_id < killed_run < again.run_id
