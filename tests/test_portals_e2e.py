"""End to end through the harvest run: a user-added portal on 127.0.0.1, the seeded
shared portal, name matching with the registry's context, and human decisions that
survive harvests and the reload of the reference tables."""

from __future__ import annotations

import json

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.ingest.harvest.run import run_harvest
from odlab_compliance.model import evidence
from tests.conftest import FIXTURES
from tests.fixtures.harvest.world import COLOMIERS, load_collectivites
from tests.httpserver import LocalServer, Reply
from tests.test_harvest_run import world  # noqa: F401 - the harvest world fixture, shared

CKAN = FIXTURES / "portals" / "ckan-package_search.json"


def _matches(settings, run_id: int) -> dict[str, tuple]:
    """Portal matches of a snapshot as read (current decisions applied)."""
    with db.connect(settings) as con:
        rows = evidence.snapshot_matches(con, run_id)
    rows = rows[rows["source"] == "portal"]
    return {p.split(":", 1)[1]: (s, m, d) for p, s, m, d in
            zip(rows["publisher_id"], rows["siren"], rows["method"], rows["decision"],
                strict=True)}


def test_user_portal_and_decisions_through_harvests(world):  # noqa: F811 - fixture
    ckan = LocalServer()
    try:
        ckan.add("/api/3/action/package_search",
                 Reply.json(json.loads(CKAN.read_text(encoding="utf-8"))))
        assert main(["portals", "add", "--url", ckan.url + "/dataset", "--techno", "ckan",
                     "--nom", "DataSud test", "--partage"]) == 0
        first = run_harvest(world.settings, sources=["portals"])
        keys = {o.source_key: o for o in first.outcomes}
        assert keys["portal:datasud-test"].ok and keys["portal:datasud-test"].items == 4
        found = _matches(world.settings, first.run_id)
        assert found["Mairie de Colomiers"][:2] == (COLOMIERS, "nom")

        # a human says otherwise; the decision is stored apart and applied whenever a
        # snapshot is read: the first one at once, the next one too
        assert main(["match", "reject", "--publisher",
                     next(p for p in _ids(world.settings, first.run_id) if p.endswith("Mairie de Colomiers")),
                     "--siren", COLOMIERS, "--note", "homonyme", "--auteur", "test"]) == 0
        assert _matches(world.settings, first.run_id)["Mairie de Colomiers"][2] == "rejete"
        with db.connect(world.settings) as con:
            assert COLOMIERS not in set(evidence.effective_matches(con, first.run_id)["siren"])
        with db.connect(world.settings) as con:   # a reference update reloads the tables
            con.execute("DELETE FROM ref_collectivite")
        load_collectivites(world.settings)
        second = run_harvest(world.settings, sources=["portals"])
        assert _matches(world.settings, second.run_id)["Mairie de Colomiers"][2] == "rejete"
        with db.connect(world.settings) as con:
            decisions = con.execute("SELECT decision, note FROM match_decision").fetchall()
            users = con.execute("SELECT id FROM portal_user").fetchall()
        assert decisions == [("rejete", "homonyme")] and users == [("datasud-test",)]
    finally:
        ckan.close()


def _ids(settings, run_id: int) -> list[str]:
    with db.connect(settings) as con:
        return [r[0] for r in con.execute(
            "SELECT publisher_id FROM harvest_publisher WHERE run_id = ?", [run_id]).fetchall()]
