"""Quality fields at harvest and SCDL validation, against a local data.gouv.fr, a local
schema.data.gouv.fr and local file hosts: real harvest, real DuckDB, real Validata."""

from __future__ import annotations

import json

import pytest

from odlab_compliance import db, vocab
from odlab_compliance.ingest import scdl
from odlab_compliance.ingest.harvest import journal
from odlab_compliance.ingest.harvest.run import run_harvest
from tests.fixtures.harvest import scdl as files
from tests.fixtures.harvest.site import Dataset
from tests.fixtures.harvest.world import make_world
from tests.httpserver import Reply

TM_ORG, MURET_ORG = "5a1b0c0d0e0f000000000001", "5a1b0c0d0e0f000000000003"


@pytest.fixture
def world(tmp_path, server, monkeypatch):
    monkeypatch.setenv("ODLAB_BASE_URL_SCHEMA_DATAGOUV", server.url)
    w = make_world(tmp_path, server, monkeypatch)
    monkeypatch.setenv("ODLAB_BASE_URL_SCHEMA_DATAGOUV", server.url)
    w.reload()
    files.serve_schema(server)
    tm_body = files.valid_csv()
    tm = next(d for d in w.site.datasets if d.schema == files.DELIB)
    tm.resource_url = files.serve_file(server, "tm-deliberations.csv", tm_body)
    tm.schema_version, tm.checksum = files.DELIB_VERSION, files.sha1(tm_body)
    bad = files.invalid_csv()
    w.site.datasets.append(Dataset(
        id="6a00000000000000000000aa", org_id=MURET_ORG, title="Délibérations du conseil "
        "municipal", last_modified="2026-11-02T08:00:00", schema=files.DELIB,
        schema_version=files.DELIB_VERSION, checksum=files.sha1(bad),
        resource_url=files.serve_file(server, "muret-deliberations.csv", bad)))
    w.serve()
    return w


def _latest(world) -> int:
    with db.connect(world.settings) as con:
        return journal.latest_visible(con, "harvest")


def test_harvest_keeps_quality_fields_and_schema_files(world):
    assert run_harvest(world.settings, sources=["datagouv"]).status == "done"
    with db.connect(world.settings) as con:
        q = con.execute("SELECT dataset_id, licence, frequency, formats, quality_score"
                        " FROM harvest_dataset_quality ORDER BY dataset_id").df()
        res = con.execute("SELECT resource_id, schema_name, schema_version, fingerprint, url"
                          " FROM harvest_resource ORDER BY resource_id").df()
    row = q.set_index("dataset_id").loc["6a000000000000000000000a"]
    assert row["licence"] == "Licence Ouverte / Open Licence version 2.0"
    assert (row["frequency"], row["formats"], row["quality_score"]) == ("annual", "csv", 0.5)
    assert len(q) >= 6
    by = res.set_index("resource_id")
    assert by.loc["r-6a000000000000000000000a", "schema_version"] == files.DELIB_VERSION
    assert by.loc["r-6a000000000000000000000a", "fingerprint"].startswith("checksum:")
    assert set(res["schema_name"]) >= {files.DELIB, "scdl/subventions"}


def test_validation_is_bounded_incremental_and_in_french(world, server):
    assert run_harvest(world.settings, sources=["datagouv"]).status == "done"
    run = _latest(world)
    with db.connect(world.settings) as con:
        before = scdl.resource_states(con, run)
    assert set(before["state"]) == {vocab.SCDL_NON_VALIDE}
    total = len(before)
    first = scdl.validate_pending(world.settings, run, limit=2)
    assert (first.validated, first.remaining) == (2, total - 2)
    with db.connect(world.settings) as con:
        mid = scdl.resource_states(con, run)
    assert (mid["state"] == vocab.SCDL_NON_VALIDE).sum() == total - 2
    rest = scdl.validate_pending(world.settings, run, limit=50)
    assert (rest.validated, rest.remaining) == (total - 2, 0)
    assert scdl.validate_pending(world.settings, run).validated == 0   # nothing changed
    with db.connect(world.settings) as con:
        st = scdl.resource_states(con, run).set_index("resource_id")
    assert st.loc["r-6a000000000000000000000a", "state"] == vocab.SCDL_VALIDE
    muret = st.loc["r-6a00000000000000000000aa"]
    assert muret["state"] == vocab.SCDL_INVALIDE and muret["nb_errors"] >= 3
    text = " | ".join(muret["messages"])
    assert "ligne 3, colonne COLL_SIRET" in text and "ligne 3, colonne DELIB_DATE" in text
    assert "ligne 4, colonne VOTE_POUR" in text and "vingt" in text
    assert "constraint" not in text and "type is" not in text     # no English library text
    # Subventions and équipements files are on example.org: unreachable here, so
    # « non vérifiable », never « non conforme ».
    other = st[st["schema_name"] != files.DELIB]
    assert set(other["state"]) == {vocab.SCDL_ERREUR}
    assert all("injoignable" in m[0] or "schéma" in m[0] for m in other["messages"])
    assert server.hits(f"/schemas/{files.DELIB}/{files.DELIB_VERSION}/schema.json") == 1


def test_second_harvest_validates_only_the_changed_file(world, server):
    run_harvest(world.settings, sources=["datagouv"])
    scdl.validate_pending(world.settings, _latest(world), limit=50)
    fixed = files.valid_csv(siret="21310395500018", nom="Ville de Muret")
    muret = next(d for d in world.site.datasets if d.org_id == MURET_ORG and d.schema)
    muret.resource_url = files.serve_file(server, "muret-deliberations.csv", fixed)
    muret.checksum = files.sha1(fixed)
    run_harvest(world.settings, sources=["datagouv"])
    run = _latest(world)
    with db.connect(world.settings) as con:
        todo = scdl.pending(con, run)
    assert list(todo["resource_id"]) == ["r-6a00000000000000000000aa"]
    hits = server.hits("/files/tm-deliberations.csv")
    again = scdl.validate_pending(world.settings, run)
    assert again.validated == 1 and again.by_state == {vocab.SCDL_VALIDE: 1}
    assert server.hits("/files/tm-deliberations.csv") == hits      # not downloaded again


def test_unreadable_schema_is_not_a_fault(world, server):
    server.add(f"/schemas/{files.DELIB}/{files.DELIB_VERSION}/schema.json", Reply(404, b""))
    run_harvest(world.settings, sources=["datagouv"])
    run = _latest(world)
    scdl.validate_pending(world.settings, run)
    with db.connect(world.settings) as con:
        st = scdl.resource_states(con, run)
    delib = st[st["schema_name"] == files.DELIB]
    assert set(delib["state"]) == {vocab.SCDL_ERREUR}
    assert "schéma scdl/deliberations 2.1.5 indisponible" in delib["messages"].iloc[0][0]


def test_validate_file_on_a_non_table_schema(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(files.valid_csv())
    out = scdl.validate_file(path, {"$schema": "http://json-schema.org/draft-07/schema#"})
    assert out.state == vocab.SCDL_ERREUR and "Table Schema" in out.messages[0]
    ok = scdl.validate_file(path, files.deliberations_schema())
    assert (ok.state, ok.nb_errors, ok.rows_read) == (vocab.SCDL_VALIDE, 0, 3)
    assert json.dumps(ok.messages) == "[]"


def test_profiles_and_sheet_table_from_a_real_harvest(world):
    """The profile computed on the udata fixtures: Muret's only dataset is a non
    conforming délibérations file; Toulouse Métropole's délibérations conform and its 2022
    budget is late; the département's datasets come with no SCDL file to check."""
    from odlab_compliance.model import publication, snapshots

    run_harvest(world.settings, sources=["datagouv"])
    scdl.validate_pending(world.settings, _latest(world), limit=50)
    with db.connect(world.settings) as con:
        snap = snapshots.resolve(snapshots.list_snapshots(con))
        prof = publication.snapshot_profiles(con, snap, sirens=["213101496"]).set_index("siren")
        table = publication.dataset_table(con, "213103955", snap)
    muret = prof.loc["213103955"]
    assert (muret["note"], muret["nb_jeux"], muret["schemas_invalides"]) == (
        "D", 1, "scdl/deliberations")
    assert "non conforme : délibérations" in muret["pourquoi"]
    tm = prof.loc["243100518"]
    assert (tm["nb_jeux"], tm["schemas_valides"], tm["part_a_jour"]) == (
        2, "scdl/deliberations", 0.5)
    assert prof.loc["213101496", "note"] == "E"       # Colomiers: nothing on data.gouv.fr
    row = table.iloc[0]
    assert row["conformite"] == vocab.SCDL_INVALIDE and row["schema_scdl"] == "délibérations"
    assert "ligne 3, colonne COLL_SIRET" in row["premieres_erreurs"]
    assert (row["formats"], bool(row["format_ouvert"]), row["frequence"]) == (
        "CSV", True, "annuelle")
