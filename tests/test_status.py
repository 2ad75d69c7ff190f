"""Status rules (pure functions), the dashboard API and the `export status` command."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from odlab_compliance import db, vocab
from odlab_compliance.cli import main
from odlab_compliance.ingest.harvest import journal
from odlab_compliance.ingest.harvest.run import run_harvest
from odlab_compliance.model import evidence, snapshots, status
from odlab_compliance.model.snapshots import Snapshot
from odlab_compliance.model.status import StatusModel
from odlab_compliance.territory import FRANCE
from tests.fixtures.harvest.world import CD31, COLOMIERS, make_world

SNAP = Snapshot(7, date(2026, 11, 27), "harvest")


def _ds(**kw):
    base = {"source": "datagouv", "dataset_id": "d", "publisher_id": "p", "title": "t",
            "url": None, "platform_id": "datagouv", "platform_url": "https://dg/org/",
            "last_update": pd.Timestamp("2026-01-01"), "archived": False, "deleted": False,
            "state_data": False, "schemas": None, "harvest_domain": None, "siren_hint": None,
            "publisher": "P", "publisher_url": "https://dg/org/", "siren": "111111111"}
    base.update(kw)
    return base


PLATFORMS = pd.DataFrame({"platform_id": ["ptf"], "owner_siren": ["222222222"],
                          "hosted": ["111111111,222222222"]})


def test_summary_counts_once_a_datagouv_copy_of_a_portal_dataset():
    d = pd.DataFrame([
        _ds(dataset_id="a", harvest_domain="data.example.fr"),
        _ds(dataset_id="b"),
        _ds(dataset_id="c", source="portal", platform_id="ptf",
            platform_url="https://data.example.fr", url="https://data.example.fr/explore/c"),
        _ds(dataset_id="x", archived=True),
        _ds(dataset_id="y", source="portal", platform_id="ptf", state_data=True,
            platform_url="https://data.example.fr"),
    ])
    s = evidence.summarize(d, PLATFORMS, {"scdl/budget"}, SNAP.date).iloc[0]
    assert (s["nb_jeux"], s["nb_jeux_datagouv"], s["nb_jeux_portails"]) == (2, 2, 1)
    assert bool(s["own"]) is True


def test_shared_platform_of_another_body_is_via_tiers():
    d = pd.DataFrame([_ds(source="portal", platform_id="ptf",
                          platform_url="https://data.example.fr", schemas="scdl/budget,x/y")])
    s = evidence.summarize(d, PLATFORMS, {"scdl/budget"}, SNAP.date).iloc[0]
    assert bool(s["own"]) is False and s["schemas_scdl"] == "scdl/budget"


def test_apply_status_unknown_vs_not_published_and_freshness():
    base = pd.DataFrame({"siren": ["111111111", "333333333", "444444444"]})
    ev = pd.DataFrame({"siren": ["111111111"], "nb_jeux": [1], "nb_jeux_datagouv": [1],
                       "nb_jeux_portails": [0], "derniere_mise_a_jour": [date(2025, 1, 1)],
                       "plateformes": ["x"], "schemas_scdl": [None], "statut": ["publie"],
                       "statut_detail": [None]})
    ev = evidence.Evidence(ev, None, {"333333333": "le portail p a échoué"})
    out = status.apply_status(base, ev, SNAP).set_index("siren")
    assert out.loc["111111111", "statut"] == "publie"
    assert bool(out.loc["111111111", "a_jour"]) is False      # older than 12 months
    assert out.loc["333333333", "statut"] == "inconnu"
    assert pd.isna(out.loc["333333333", "nb_jeux"])           # never a misleading 0
    assert out.loc["444444444", "statut"] == "non_publie"
    assert out.loc["444444444", "nb_jeux"] == 0
    ev = evidence.Evidence(ev.found, "data.gouv.fr a échoué", ev.per_siren)
    out = status.apply_status(base, ev, SNAP).set_index("siren")
    assert set(out["statut"]) == {"publie", "inconnu"}


def test_observatoire_edition_without_counts_leaves_them_empty():
    snap = Snapshot(3, date(2022, 6, 1), "observatoire")
    with db.connect(path=":memory:") as con:
        con.executemany(
            "INSERT INTO harvest_observatoire (run_id, siren, nom, statut, nb_jeux_ptf,"
            " nb_jeux_datagouv) VALUES (?, ?, ?, ?, ?, ?)",
            [[3, "111111111", "LABEGE", "publie", None, None],
             [3, "222222222", "CC DES COTEAUX", "publie", 4, None]])
        # the edition's rows go through the matcher: the reference must know them
        con.executemany(
            "INSERT INTO ref_collectivite (vintage, siren, code_insee, nom, type) "
            "VALUES (2022, ?, ?, ?, ?)",
            [["111111111", "31254", "Labège", "COM"],
             ["222222222", "222222222", "CC des Coteaux", "CC"],
             ["333333333", "31555", "Toulouse", "COM"]])
        ev = evidence.observatoire_evidence(con, snap, 2022)
    base = pd.DataFrame({"siren": ["111111111", "222222222", "333333333"]})
    out = status.apply_status(base, ev, snap).set_index("siren")
    # 2022 editions give no counts: empty, not 0; a partial count is what it says.
    assert out.loc["111111111", ["nb_jeux", "nb_jeux_datagouv", "nb_jeux_portails"]].isna().all()
    assert out.loc["222222222", "nb_jeux"] == 4 and pd.isna(out.loc["222222222", "nb_jeux_datagouv"])
    assert out.loc["333333333", "statut"] == "non_publie"
    assert pd.isna(out.loc["333333333", "nb_jeux"])   # absent from the edition: no count given


def test_every_status_value_is_documented():
    # The model's rules and the vocabulary (labels, help, colours) name the same codes.
    assert set(status.STATUS_RULES) == set(vocab.STATUTS)
    for code in vocab.STATUTS:
        assert len(status.STATUS_RULES[code]) > 60, f"règle trop courte : {code}"
        assert vocab.STATUT.label(code) != code, f"pas de libellé français : {code}"
        assert vocab.STATUT[code].help and vocab.STATUT[code].colour
    # The rule a user must not misread: a failed source is never "does not publish".
    assert "Jamais « ne publie pas »" in status.STATUS_RULES[vocab.INCONNU]
    assert "toutes les sources" in status.STATUS_RULES[vocab.NON_PUBLIE]


@pytest.fixture
def harvested(tmp_path, server, monkeypatch):
    w = make_world(tmp_path, server, monkeypatch)
    w.serve()
    w.serve_portal()
    res = run_harvest(w.settings, sources=["datagouv", "portals"])
    assert res.status == "done", res.outcomes
    return w


def test_dashboard_functions(harvested):
    with db.connect(harvested.settings) as con:
        model = StatusModel.from_connection(con)
        assert [sn.kind for sn in model.snapshots] == ["harvest"]
        at = model.status_at(FRANCE, "legal")
        table = at.whole
        ev = model.evidence(con, CD31)
        runs = journal.runs_with_errors(con)
    assert list(table.columns[:16]) == list(status.EXPORT_COLUMNS)
    assert {"population_totale", "epci_siren", "proche_seuil", "motif"} <= set(table.columns)
    assert table["siren"].is_unique and len(table) == 7
    assert {"title", "url", "platform", "last_update", "schemas", "source"} <= set(ev.columns)
    assert "Collèges publics" in set(ev["title"])
    assert len(runs) == 1 and runs.iloc[0]["status"] == "done"
    assert at.vintage.vintage == 2026 and at.snapshot == model.snapshots[0]
    with pytest.raises(snapshots.SnapshotNotFound):
        model.status_at(FRANCE, "legal", 999)


def _export(argv):
    """Through the real command-line parser, as a user types it."""
    return main(["export", *argv])


def test_export_status_csv_with_datapackage(harvested, tmp_path):
    out = tmp_path / "exports" / "statut.csv"
    assert _export(["status", "--rule", "legal", "--snapshot", "latest",
                    "--output", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw.decode("utf-8-sig").splitlines()[0].split(";")
    assert header[:16] == list(status.EXPORT_COLUMNS)
    df = pd.read_csv(out, sep=";", encoding="utf-8-sig", dtype=str)
    assert len(df) == 7 and df.set_index("siren").loc[COLOMIERS, "statut"] == "publie_via_tiers"
    pkg = json.loads((out.parent / "datapackage.json").read_text(encoding="utf-8"))
    res = pkg["resources"][0]
    assert res["path"] == "statut.csv" and res["dialect"]["delimiter"] == ";"
    names = [f["name"] for f in res["schema"]["fields"]]
    assert names == list(df.columns)
    assert all(f.get("description") and f.get("type") for f in res["schema"]["fields"])
    assert pkg["licenses"][0]["name"] == "etalab-2.0"


def test_export_status_xlsx(harvested, tmp_path):
    out = tmp_path / "statut.xlsx"
    assert _export(["status", "--output", str(out), "--format", "xlsx"]) == 0
    df = pd.read_excel(out, dtype={"siren": str})
    assert list(df.columns[:16]) == list(status.EXPORT_COLUMNS) and len(df) == 7
    assert json.loads((tmp_path / "datapackage.json").read_text())["resources"][0]["format"] \
        == "xlsx"
