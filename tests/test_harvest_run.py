"""Whole runs: journal, snapshots, statuses, carried-forward sources, territory refresh,
Observatoire editions and user tables, against local servers playing the services."""

from __future__ import annotations

import pytest

from odlab_compliance import db
from odlab_compliance.ingest.harvest import journal
from odlab_compliance.ingest.harvest.run import collectivites, run_harvest
from odlab_compliance.model import evidence, snapshots, status
from tests.fixtures.harvest.world import COLOMIERS, make_world, statuses
from tests.httpserver import Reply

TOULOUSE, BLAGNAC, MURET = "213105554", "213100696", "213103955"
TM, MURETAIN, CD31 = "243100518", "200046977", "223100017"


@pytest.fixture
def world(tmp_path, server, monkeypatch):
    w = make_world(tmp_path, server, monkeypatch)
    w.serve()
    w.serve_portal()
    return w


def _status(world, snapshot="latest"):
    with db.connect(world.settings) as con:
        snap = snapshots.resolve(snapshots.list_snapshots(con), snapshot)
        return status.status_for(con, collectivites(con), snap)


def test_national_run_gives_statuses_and_a_clean_journal(world):
    res = run_harvest(world.settings, sources=["datagouv"])
    assert res.status == "done", res.outcomes
    st = _status(world)
    s = statuses(st)
    assert s[TM] == "publie" and s[CD31] == "publie"
    assert s[MURET] == "non_publie"            # archived datasets only
    assert s[TOULOUSE] == "non_publie" and s[BLAGNAC] == "non_publie"  # no badge, no org
    tm = st.set_index("siren").loc[TM]
    assert (tm["nb_jeux"], tm["nb_jeux_datagouv"], tm["nb_jeux_portails"]) == (2, 2, 0)
    assert tm["schemas_scdl"] == "scdl/deliberations"
    assert bool(tm["a_jour"]) is True
    assert tm["derniere_mise_a_jour"].date().isoformat() == "2026-10-01"
    assert "/fr/organizations/5a1b0c0d0e0f000000000001/" in tm["plateformes"]
    with db.connect(world.settings) as con:
        runs = journal.runs_with_errors(con)
        assert list(runs["status"]) == ["done"]
        snaps = snapshots.list_snapshots(con)
        assert [sn.kind for sn in snaps] == ["harvest"]


def test_full_run_counts_portal_and_shared_platform_once(world):
    res = run_harvest(world.settings, sources=["datagouv", "portals"], full_catalogue=True)
    assert res.status in ("done", "done-errors"), res.outcomes
    st = _status(world).set_index("siren")
    assert st.loc[BLAGNAC, "statut"] == "publie"          # found through its SIRET
    # Département: 2 on data.gouv.fr (one harvested from its portal) + 2 on its portal
    # (INSEE's dataset is State data): the véloroutes are one dataset, counted once.
    cd = st.loc[CD31]
    assert (cd["nb_jeux_datagouv"], cd["nb_jeux_portails"], cd["nb_jeux"]) == (2, 2, 3)
    assert cd["statut"] == "publie"
    assert st.loc[COLOMIERS, "statut"] == "publie_via_tiers"   # on the département's portal
    with db.connect(world.settings) as con:
        ev = evidence.datasets_of(con, COLOMIERS, snapshots.list_snapshots(con)[0])
    assert list(ev["title"]) == ["Parkings de Colomiers"]


def test_failed_datagouv_gives_inconnu_never_non_publie(world, server):
    server.add("/api/1/site/datasets.csv", Reply(500, b"boom"))
    res = run_harvest(world.settings, sources=["datagouv", "portals"])
    assert res.status == "done-errors"
    assert [o.source_key for o in res.failed_sources] == ["datagouv"]
    s = statuses(_status(world))
    assert s[MURET] == "inconnu" and s[TOULOUSE] == "inconnu" and s[TM] == "inconnu"
    assert s[CD31] == "publie"                 # evidence elsewhere still counts
    assert s[COLOMIERS] == "publie_via_tiers"
    st = _status(world).set_index("siren")
    assert st.loc[MURET, "nb_jeux"] is not None and str(st.loc[MURET, "nb_jeux"]) == "<NA>"
    assert "data.gouv.fr a échoué" in st.loc[MURET, "statut_detail"]
    with db.connect(world.settings) as con:
        j = journal.runs_with_errors(con)
    assert j.iloc[0]["status"] == "done-errors" and j.iloc[0]["sources_failed"] == 1
    assert "datasets.csv" in j.iloc[0]["failures"]


def test_portal_down_makes_its_hosted_collectivites_inconnu(world, server):
    server.add("/api/explore/v2.1/catalog/datasets", Reply(503, b"down"))
    res = run_harvest(world.settings, sources=["datagouv", "portals"])
    assert res.status == "done-errors"
    s = statuses(_status(world))
    assert s[COLOMIERS] == "inconnu"           # hosted by the portal that is down
    assert s[CD31] == "publie"                 # its data.gouv.fr organisation answered
    assert s[TOULOUSE] == "non_publie"         # depends on nothing that failed


def test_every_source_failing_keeps_previous_snapshot(world, server):
    first = run_harvest(world.settings, sources=["datagouv"])
    server.add("/api/1/site/organizations.csv", Reply(500, b"boom"))
    res = run_harvest(world.settings, sources=["datagouv"])
    assert res.status == "failed"
    with db.connect(world.settings) as con:
        assert snapshots.list_snapshots(con)[0].id == first.run_id
        assert journal.latest_visible(con) == first.run_id
    assert statuses(_status(world))[TM] == "publie"


def test_partial_run_carries_other_sources_and_history_is_kept(world):
    full = run_harvest(world.settings, sources=["datagouv", "portals"])
    again = run_harvest(world.settings, sources=["datagouv"])
    assert again.run_id != full.run_id
    with db.connect(world.settings) as con:
        src = con.execute("SELECT source_key, carried_from FROM harvest_source WHERE run_id = ?"
                          " ORDER BY 1", [again.run_id]).fetchall()
        snaps = snapshots.list_snapshots(con)
    assert ("datagouv", None) in src and any(k.startswith("portal:") and c == full.run_id
                                             for k, c in src)
    assert len(snaps) == 2                     # both snapshots stay readable
    assert statuses(_status(world, again.run_id))[COLOMIERS] == "publie_via_tiers"
    assert statuses(_status(world, full.run_id)) == statuses(_status(world, again.run_id))


def test_territory_refresh_uses_the_api_and_keeps_the_rest(world, server):
    base = run_harvest(world.settings, sources=["datagouv"])
    # The métropole published one more dataset since: only the API shows it.
    from tests.fixtures.harvest.site import Dataset
    world.site.datasets.append(Dataset("6a0000000000000000000099", "5a1b0c0d0e0f000000000001",
                                       "Nouveau jeu", "2026-11-20T00:00:00"))
    before = len(server.requests)
    res = run_harvest(world.settings, sources=["datagouv"], territory="epci:243100518")
    assert res.status == "done", res.outcomes
    paths = {r.path for r in server.requests[before:]}
    assert "/api/1/site/datasets.csv" not in paths            # no bulk export
    assert "/api/1/organizations/5a1b0c0d0e0f000000000001/datasets/" in paths
    with db.connect(world.settings) as con:
        runs = snapshots.list_snapshots(con)
    assert runs[0].territory == "epci:243100518"
    st = _status(world).set_index("siren")
    assert st.loc[TM, "nb_jeux"] == 3
    assert st.loc[CD31, "statut"] == "publie"                 # carried from the base snapshot
    assert _status(world, base.run_id).set_index("siren").loc[TM, "nb_jeux"] == 2


def test_observatoire_editions_are_dated_snapshots_imported_once(world):
    res = run_harvest(world.settings, sources=["observatoire"])
    keys = {o.source_key: o.ok for o in res.outcomes}
    assert keys["observatoire:2021"] is True
    assert keys["observatoire:2022"] is False                 # not in this test mirror
    with db.connect(world.settings) as con:
        snaps = snapshots.list_snapshots(con)
        obs = [sn for sn in snaps if sn.is_observatoire]
        assert obs[0].date.isoformat() == "2021-12-31"
        st = status.status_for(con, collectivites(con), obs[0])
    s = statuses(st)
    assert s[TM] == "publie" and s[COLOMIERS] == "publie_via_tiers" and s[MURET] == "non_publie"
    run_harvest(world.settings, sources=["observatoire"])
    with db.connect(world.settings) as con:
        assert len(snapshots.list_snapshots(con)) == 1


def test_user_tables_survive_harvest(world):
    from odlab_compliance.model import matching
    with db.connect(world.settings) as con:
        con.execute("INSERT INTO agents (siren, source, agents_min, annee, source_detail)"
                    " VALUES ('213103955', 'prefecture', 210, 2025, 'test')")
        matching.record_decision(con, "5a1b0c0d0e0f000000000003", MURET, "rejete")
    run_harvest(world.settings, sources=["datagouv", "portals"])
    run_harvest(world.settings, sources=["datagouv"], territory="dep:31")
    with db.connect(world.settings) as con:
        assert con.execute("SELECT count(*) FROM agents").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM match_decision").fetchone()[0] == 1


def test_a_human_decision_shows_without_harvesting_again(world):
    from odlab_compliance.model import matching
    run_harvest(world.settings, sources=["datagouv"], full_catalogue=True)
    assert statuses(_status(world))[BLAGNAC] == "publie"
    with db.connect(world.settings) as con:
        matching.record_decision(con, "5a1b0c0d0e0f000000000004", BLAGNAC, "rejete")
    assert statuses(_status(world))[BLAGNAC] == "non_publie"


def test_territory_refresh_failure_keeps_previous_rows_of_that_organisation(world, server):
    run_harvest(world.settings, sources=["datagouv"])
    server.add("/api/1/organizations/5a1b0c0d0e0f000000000001/datasets/", Reply(200, b"{oops"))
    res = run_harvest(world.settings, sources=["datagouv"], territory="dep:31")
    assert res.status == "done-errors" and res.failed_sources == []
    st = _status(world).set_index("siren")
    assert st.loc[TM, "statut"] == "publie" and st.loc[TM, "nb_jeux"] == 2   # kept
    with db.connect(world.settings) as con:
        errs = journal.errors(con, res.run_id)
    assert "5a1b0c0d0e0f000000000001" in set(errs["item"])
    assert errs["message"].str.contains("JSON").any()


@pytest.mark.mirror
def test_observatoire_editions_of_the_mirror(mirror_dir, env, monkeypatch):
    from odlab_compliance.config import load_settings
    from odlab_compliance.ingest.harvest.run import import_observatoire
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    settings = load_settings()
    outs = import_observatoire(settings)
    assert [(o.source_key, o.ok, o.items) for o in outs] == [
        ("observatoire:2021", True, 891), ("observatoire:2022", True, 1060)]
    with db.connect(settings) as con:
        snaps = snapshots.list_snapshots(con)
    assert sorted(sn.date.isoformat() for sn in snaps) == ["2021-12-31", "2022-12-31"]
