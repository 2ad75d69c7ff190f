"""The one HTTP client, seen from the servers it calls (real servers on 127.0.0.1): the
User-Agent every request carries, and the 7 requests/s quota of Recherche d'entreprises
measured in time on the server side, not by counting calls."""

from __future__ import annotations

import pytest

from odlab_compliance import __version__
from odlab_compliance.cli import main
from odlab_compliance.http import USER_AGENT
from odlab_compliance.identifiers import luhn_ok
from odlab_compliance.ingest.agents import recherche_entreprises as api
from odlab_compliance.ingest.harvest.run import run_harvest
from tests.fixtures.harvest.world import make_world
from tests.httpserver import Reply, Request
from tests.test_agents_api import hit, page
from tests.test_sources import BODY, PATH


def valid_sirens(n: int, prefix: str = "2131") -> list[str]:
    """``n`` distinct SIRENs that pass the Luhn check (the CLI refuses others)."""
    out, i = [], 0
    while len(out) < n:
        stem = f"{prefix}{i:04d}"
        out += [stem + d for d in "0123456789" if luhn_ok(stem + d)][:1]
        i += 1
    return out


def test_user_agent_names_the_project():
    assert USER_AGENT.startswith(f"odlab-compliance/{__version__} (")
    assert "python-requests" not in USER_AGENT


def test_every_client_sends_the_user_agent(tmp_path, server, monkeypatch, capsys):
    world = make_world(tmp_path, server, monkeypatch)
    world.serve()
    world.serve_portal()
    monkeypatch.setenv("ODLAB_BASE_URL_UNPKG", server.url)
    monkeypatch.setenv("ODLAB_RECHERCHE_ENTREPRISES_URL", server.url)
    server.add(PATH, Reply(200, BODY))
    server.add("/search", lambda req: Reply.json(page([hit(req.arg("q"), "21")])))

    assert main(["sources", "fetch", "cog-communes", "--vintage", "2026"]) == 0
    assert main(["agents", "fetch", "--siren", "213105554"]) == 0
    world.reload()
    assert run_harvest(world.settings, sources=["datagouv", "portals"]).status == "done"

    seen = {r.path: r.headers.get("User-Agent") for r in server.requests}
    assert PATH in seen and "/search" in seen
    assert "/api/1/site/datasets.csv" in seen
    assert "/api/explore/v2.1/catalog/datasets" in seen       # the Opendatasoft portal
    assert set(seen.values()) == {USER_AGENT}, seen


@pytest.mark.slow
def test_recherche_entreprises_stays_under_7_requests_per_second(env, server, monkeypatch,
                                                                   capsys):
    monkeypatch.setenv("ODLAB_RECHERCHE_ENTREPRISES_URL", server.url)
    sirens = valid_sirens(15)

    def answer(req: Request) -> Reply:
        return Reply.json(page([hit(req.arg("q"), "21")]))

    server.add("/search", answer)
    assert main(["agents", "fetch", "--siren", *sirens]) == 0
    times = sorted(r.at for r in server.requests if r.path == "/search")
    assert len(times) == len(sirens)
    assert api.RATE_PER_SECOND == 7
    # Never 8 requests within one second (a little slack for the clock of a busy machine)...
    windows = [b - a for a, b in zip(times, times[7:], strict=False)]
    assert min(windows) >= 0.95, f"8 requêtes en {min(windows):.3f} s"
    # ... and 15 requests need 14/7 = 2 s; nor much slower than the quota allows.
    assert 1.95 <= times[-1] - times[0] < 6.0, times[-1] - times[0]
