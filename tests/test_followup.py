"""Follow-up log: validation, state derived from the log, concurrent writers, survival of
reference reloads, and the "behind" list."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.errors import InputError
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.followup import Change
from tests.fixtures.outreach.rows import load_ref, status_frame

ROOT = Path(__file__).resolve().parent.parent
TLS, BLAGNAC, COLOMIERS, BALMA = "213105554", "213100696", "213101496", "213100449"


@pytest.fixture
def dbpath(tmp_path):
    path = tmp_path / "odlab.duckdb"
    with db.connect(path=path) as con:
        load_ref(con)
    return path


def replay(log: pd.DataFrame) -> dict[str, dict]:
    """The state recomputed in Python by replaying the log in order (independent check)."""
    out: dict[str, dict] = {}
    for row in log.sort_values("id").to_dict("records"):
        s = out.setdefault(row["siren"], {"etape": None, "contact": None,
                                          "prochaine_action": None, "nb_notes": 0})
        if row["champ"] == "note":
            s["nb_notes"] += 1
        else:
            s[row["champ"]] = row["valeur"] or None
    return out


def test_record_and_state_agree_with_log(dbpath):
    with db.connect(path=dbpath) as con:
        followup.record(con, [Change(TLS, etape="contacte", note="Appel au DGS",
                                     date_effet=date(2026, 9, 1), contact="M. Dupont",
                                     prochaine_action=date(2026, 10, 1))],
                        editor="alice", origin="page")
        followup.record(con, [Change(TLS, etape="accompagne"),
                              Change(BLAGNAC, note="Courriel envoyé")],
                        editor="bob", origin="cli")
        followup.record(con, [Change(TLS, prochaine_action="", contact="Mme Martin")],
                        editor="alice", origin="page")
        log = followup.log(con)
        st = followup.state(con).set_index("siren")
    assert len(log) == 8
    assert set(log["editeur"]) == {"alice", "bob"}
    assert st.loc[TLS, "etape"] == "accompagne"
    assert st.loc[TLS, "contact"] == "Mme Martin"
    assert pd.isna(st.loc[TLS, "prochaine_action"])
    assert st.loc[TLS, "derniere_note"] == "Appel au DGS"
    assert st.loc[BLAGNAC, "nb_notes"] == 1
    expected = replay(log)
    for siren, exp in expected.items():
        assert (st.loc[siren, "etape"] if pd.notna(st.loc[siren, "etape"]) else None) == exp["etape"]
        assert st.loc[siren, "nb_notes"] == exp["nb_notes"]


def test_invalid_changes_write_nothing(dbpath):
    with db.connect(path=dbpath) as con:
        with pytest.raises(InputError) as exc:
            followup.record(con, [Change(TLS, note="ok"), Change("123", etape="fini"),
                                  Change("213105555", note="x")],
                            editor="alice", origin="page", known_sirens=followup.known_sirens(con))
        msg = str(exc.value)
        assert "ligne 2" in msg and "étape « fini » inconnue" in msg
        assert "ligne 3" in msg
        assert "Aucune donnée n'a été enregistrée" in msg
        assert followup.log(con).empty
        with pytest.raises(InputError, match="connectez-vous"):
            followup.record(con, [Change(TLS, note="x")], editor=" ", origin="page")


def test_survives_reference_reload(dbpath):
    with db.connect(path=dbpath) as con:
        followup.record(con, [Change(TLS, etape="publie", note="Portail ouvert")],
                        editor="alice", origin="page")
        before = followup.state(con)
        # A reference rebuild replaces the vintage: delete and reload every ref_* row.
        with db.transaction(con):
            for table in ("ref_collectivite", "ref_territoire", "ref_geometry", "ref_load"):
                con.execute(f"DELETE FROM {table}")
            load_ref(con)
    with db.connect(path=dbpath) as con:
        after = followup.state(con)
    pd.testing.assert_frame_equal(before, after)


WRITER = """
import sys
from odlab_compliance import db
from odlab_compliance.outreach import followup
path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    with db.connect(path=path) as con:
        followup.record(con, [followup.Change("{siren}", note=f"{{name}} {{i}}")],
                        editor=name, origin="cli")
"""


def test_two_processes_lose_nothing(dbpath):
    n = 8
    procs = [subprocess.Popen([sys.executable, "-c", WRITER.format(siren=s), str(dbpath), name,
                               str(n)], cwd=ROOT)
             for name, s in (("p1", TLS), ("p2", BLAGNAC))]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with db.connect(path=dbpath, read_only=True) as con:
        log = followup.log(con)
        st = followup.state(con).set_index("siren")
    assert sorted(log["valeur"]) == sorted([f"p1 {i}" for i in range(n)] +
                                           [f"p2 {i}" for i in range(n)])
    assert st.loc[TLS, "nb_notes"] == n and st.loc[BLAGNAC, "nb_notes"] == n


def test_threads_lose_nothing(dbpath):
    # Several sessions of one Streamlit server: connections of one process, in parallel.
    errors = []

    def write(name):
        try:
            for i in range(10):
                with db.connect(path=dbpath) as con:
                    followup.record(con, [Change(COLOMIERS, note=f"{name} {i}")],
                                    editor=name, origin="page")
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"t{k}",)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.connect(path=dbpath, read_only=True) as con:
        assert len(followup.log(con)) == 40


def test_behind_list():
    status = status_frame({
        TLS: {"statut": "non_publie"},
        BLAGNAC: {"statut": "inconnu"},
        COLOMIERS: {"a_jour": False, "schemas_scdl": ""},
        BALMA: {"obligation": "non_obligee", "statut": "non_publie"},
    })
    current = pd.DataFrame({"siren": [TLS], "etape": ["contacte"], "contact": ["M. X"]})
    out = followup.behind(status, current).set_index("siren")
    assert set(out.index) == {TLS, BLAGNAC, COLOMIERS}
    assert out.loc[TLS, "retard"] == "ne publie pas"
    assert out.loc[TLS, "etape"] == "contacte"
    assert out.loc[BLAGNAC, "etape"] == "a_contacter"
    assert out.loc[COLOMIERS, "retard"] == ("pas de mise à jour depuis 12 mois, "
                                            "aucun jeu au format SCDL")


def test_due():
    current = pd.DataFrame({"siren": ["a", "b", "c"],
                            "prochaine_action": [date(2026, 1, 1), None, date(2027, 1, 1)]})
    assert list(followup.due(current, date(2026, 6, 1))["siren"]) == ["a"]


def test_readable_log():
    entries = pd.DataFrame({"champ": ["etape", "prochaine_action", "prochaine_action", "note"],
                            "valeur": ["contacte", "2026-10-01", "", "x"]})
    out = followup.readable_log(entries)
    assert list(out["champ"]) == ["Étape", "Prochaine action", "Prochaine action", "Note"]
    assert list(out["valeur"]) == ["Contactée", "01/10/2026", "(effacée)", "x"]


def test_sessions_reading_and_writing_in_one_process(dbpath):
    """Streamlit sessions are threads of one process: DuckDB refuses a read-only and a
    read-write connection to one file at the same time; the page helpers wait instead."""
    from types import SimpleNamespace

    from odlab_compliance.config import load_settings
    from odlab_compliance.ui import outreach_data

    ctx = SimpleNamespace(settings=load_settings({"ODLAB_DB": str(dbpath)}))
    errors, seen = [], []

    def write():
        try:
            for i in range(15):
                with outreach_data.writer(ctx) as con:
                    followup.record(con, [Change(BALMA, note=f"n{i}")], editor="w",
                                    origin="page")
        except Exception as exc:  # collected: a thread's exception would be lost
            errors.append(exc)

    def read():
        try:
            for _ in range(30):
                seen.append(len(outreach_data.followup_log(ctx)))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read),
               threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == 60 and all(0 <= n <= 15 for n in seen)
    with db.connect(path=dbpath, read_only=True) as con:
        assert len(followup.log(con)) == 15
