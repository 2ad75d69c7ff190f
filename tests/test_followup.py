"""Follow-up log: validation, state derived from the log, concurrent writers, survival of
reference reloads, the worklist (late, to evaluate, staff count to obtain), editors
limited to territories."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance import db, vocab
from odlab_compliance.errors import InputError
from odlab_compliance.outreach import followup
from odlab_compliance.outreach.followup import Change
from tests.fixtures.outreach.rows import (
    AUCH,
    BALMA,
    BLAGNAC,
    COLOMIERS,
    METRO,
    MURET,
    STCYP,
    TLS,
    load_ref,
    ref_rows,
    status_frame,
)

ROOT = Path(__file__).resolve().parent.parent


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


def test_worklist_separates_late_from_unknown_and_lists_staff_counts_to_obtain():
    """Known answers: late only on what the source shows; unknown is not late."""
    harvest = {"kind": "harvest", "nb_jeux_datagouv": 2}
    status = status_frame({
        TLS: {"statut": "non_publie", **harvest},
        BLAGNAC: {"statut": "inconnu", **harvest},
        # a dated, schema-listing source: 800 days old and no SCDL dataset -> late twice
        COLOMIERS: {"a_jour": False, "schemas_scdl": "", **harvest},
        BALMA: {"obligation": "non_obligee", "statut": "non_publie"},
        # an Observatoire edition: no date, no schema -> to evaluate, not late
        MURET: {"a_jour": None, "schemas_scdl": None, "kind": "observatoire",
                "nb_jeux_datagouv": 5},
        # legal rule without a staff count
        STCYP: {"obligation": "a_verifier", "statut": "non_publie", "agents_min": None},
        # dated as old, but its datasets are on a portal that lists no schema: late for
        # the date only, the schema question is left out of a late entry
        AUCH: {"a_jour": False, "schemas_scdl": "", "kind": "harvest",
               "nb_jeux_datagouv": 0},
        # on a portal that lists no schema, fresh: to evaluate (schemas unknown)
        METRO: {"schemas_scdl": "", "kind": "harvest", "nb_jeux_datagouv": 0},
    })
    current = pd.DataFrame({"siren": [TLS], "etape": ["contacte"], "contact": ["M. X"]})
    out = followup.worklist(status, current).set_index("siren")
    got = {s: (r["categorie"], r["motifs"]) for s, r in out.iterrows()}
    assert got == {
        TLS: (vocab.TRAVAIL_RETARD, "ne publie pas"),
        COLOMIERS: (vocab.TRAVAIL_RETARD, "données de plus de 12 mois, aucun jeu au format SCDL"),
        AUCH: (vocab.TRAVAIL_RETARD, "données de plus de 12 mois"),
        BLAGNAC: (vocab.TRAVAIL_A_EVALUER, "statut inconnu (source indisponible)"),
        MURET: (vocab.TRAVAIL_A_EVALUER, "date de mise à jour non fournie par la source, "
                                          "schémas non fournis par la source"),
        METRO: (vocab.TRAVAIL_A_EVALUER, "schémas non fournis par la source"),
        STCYP: (vocab.TRAVAIL_EFFECTIF, "effectif d'agents inconnu"),
    }
    assert out.loc[STCYP, "action"] == "obtenir l'effectif"
    assert out.loc[TLS, "etape"] == "contacte"
    assert out.loc[BLAGNAC, "etape"] == "a_contacter"
    # late first, then to evaluate, then staff counts; biggest first inside each
    assert list(out.index) == [TLS, COLOMIERS, AUCH, METRO, BLAGNAC, MURET, STCYP]
    # boolean columns for filtering, only for the reasons of the entry's category
    assert out.loc[AUCH, vocab.MOTIF_ANCIEN] and not out.loc[AUCH, vocab.MOTIF_SCHEMAS_INCONNUS]


def test_agents_template_is_the_prefecture_format(tmp_path, settings):
    """The template, filled in, is read by ``agents import`` and changes the obligation."""
    from odlab_compliance.cli import main
    from odlab_compliance.present import exports

    status = status_frame({STCYP: {"obligation": "a_verifier", "agents_min": None}})
    template = followup.agents_template(followup.worklist(status, pd.DataFrame(
        columns=["siren", "etape"])), year=2025)
    assert list(template.columns)[:4] == ["siren", "agents", "annee", "source"]
    assert list(template["siren"]) == [STCYP]
    filled = template.assign(agents="62", source="courriel du DGS")
    path = tmp_path / "effectifs.csv"
    path.write_bytes(exports.to_bytes(filled, "csv"))
    with db.connect(settings) as con:
        load_ref(con)
    assert main(["agents", "import", str(path)]) == 0
    with db.connect(settings, read_only=True) as con:
        row = con.execute("SELECT agents_min, annee FROM agents WHERE siren = ?",
                          [STCYP]).fetchone()
    assert row == (62, 2025)


def test_an_editor_limited_to_a_territory_writes_there_only(dbpath):
    from odlab_compliance.territory import sirens_within

    allowed = sirens_within(ref_rows(), ["dep:32"])
    assert allowed == {AUCH}
    with db.connect(path=dbpath) as con:
        with pytest.raises(InputError) as err:
            followup.record(con, [Change(AUCH, note="ok"), Change(TLS, note="non")],
                            editor="agent32", origin="page", allowed=allowed, scope="dep:32")
        assert "ligne 2" in str(err.value) and "hors de votre territoire" in str(err.value)
        assert followup.log(con).empty
        followup.record(con, [Change(AUCH, note="ok")], editor="agent32", origin="page",
                        allowed=allowed, scope="dep:32")
        assert list(followup.log(con)["origine"]) == ["page (limité à dep:32)"]


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
                with outreach_data.writer(ctx, user_work=True) as con:
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
