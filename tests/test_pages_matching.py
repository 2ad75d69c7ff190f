"""AppTest of the review queue: the Rapprochements page (editors confirm or reject in one
click, checked again on the server) and the Méthode page (read-only queue, matching
report, an edition next to OpenDataFrance's figures), through the real app shell."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from odlab_compliance import auth, db, vocab
from odlab_compliance.model import matching, status
from odlab_compliance.territory import FRANCE
from odlab_compliance.ui import matching_view
from tests.fixtures.outreach.rows import MURET, TLS, build_db
from tests.test_pages_outreach import (
    HASH,
    listen,  # noqa: F401 - the fixture, shared
    run,
)

PREFECTURE = "Préfecture de la Haute-Garonne"


@pytest.fixture
def dbpath(settings):
    with db.connect(settings) as con:
        runs = build_db(con)
        # the edition lists Muret under a SIREN that is no commune's: proposed, not counted
        con.execute("INSERT INTO harvest_observatoire (run_id, siren, nom, statut, via) "
                    "VALUES (?, '852356583', 'MURET', 'publie', 'datagouv')", [runs["odf"]])
        # the October harvest has a State service carrying Toulouse's SIRET
        run = runs["oct"]
        con.execute("INSERT INTO harvest_publisher (run_id, source, source_key, publisher_id,"
                    " name, siret) VALUES (?, 'datagouv', 'datagouv', 'org-pref', ?, ?)",
                    [run, PREFECTURE, f"{TLS}00013"])
        con.execute("INSERT INTO harvest_match (run_id, source, publisher_id, siren, method,"
                    " confidence, decision, flags) VALUES (?, 'datagouv', 'org-pref', ?,"
                    " 'siret', 0.3, 'auto', 'non_collectivite')", [run, TLS])
    return settings.db_path


def _edition_status(dbpath, siren: str) -> str:
    with db.connect(path=dbpath, read_only=True) as con:
        m = status.StatusModel.from_connection(con)
        snap = next(s for s in m.snapshots if s.is_observatoire)
        whole = m.status_at(FRANCE, "odf", snap).whole
    return whole.set_index("siren").loc[siren, "statut"]


def _decisions(dbpath) -> list[tuple]:
    with db.connect(path=dbpath, read_only=True) as con:
        d = matching.load_decisions(con)
    return list(zip(d["publisher_id"], d["siren"], d["decision"], strict=True))


def _lines(at) -> list[str]:
    """The queue's lines as read (Markdown escapes removed)."""
    return [m.value.replace("\\", "") for m in at.markdown if "→" in m.value]


def _buttons(at, label: str) -> list:
    return [b for b in at.get("button") if str(b.proto.label) == label]


def test_editor_confirms_and_rejects_in_one_click(dbpath, listen):  # noqa: F811
    listen(True)                 # the operator allowed local writing
    at = run("rapprochements.py")
    rows = _lines(at)
    assert len(rows) == 2 and any(PREFECTURE in r for r in rows)
    assert _edition_status(dbpath, MURET) == vocab.NON_PUBLIE
    muret = next(i for i, r in enumerate(rows) if "MURET" in r)
    _buttons(at, "Confirmer")[muret].click()
    at.run()
    assert not at.exception
    assert at.success and "Confirmé" in at.success[0].value
    assert _decisions(dbpath) == [("observatoire:852356583", MURET, "confirme")]
    # the edition's snapshot counts it now, and the queue no longer shows it
    assert _edition_status(dbpath, MURET) == vocab.PUBLIE
    assert [PREFECTURE in r for r in _lines(at)] == [True]
    _buttons(at, "Rejeter")[0].click()
    at.run()
    assert _decisions(dbpath)[-1] == ("org-pref", TLS, "rejete")
    assert _lines(at) == []


def test_nobody_else_can_decide(dbpath, listen, settings):  # noqa: F811
    listen(True)
    at = run("rapprochements.py", {auth.PASSWORD_KEY: HASH})   # editors need the password
    buttons = _buttons(at, "Confirmer") + _buttons(at, "Rejeter")
    assert len(buttons) == 4 and all(b.disabled for b in buttons)
    # a disabled button is not a barrier: the write itself checks the decision again
    reader = auth.Decision(False, None, "Connectez-vous pour modifier.")
    row = {"publisher_id": "org-pref", "siren": TLS, "source": "datagouv", "nom": PREFECTURE,
           "collectivite": "Toulouse"}
    matching_view._decide(SimpleNamespace(settings=settings, ref=None), reader, row,
                          vocab.DECISION_CONFIRME)
    assert _decisions(dbpath) == []


@pytest.mark.parametrize("territory,enabled", [("dep:31", True), ("dep:32", False)])
def test_an_editor_limited_to_territories_decides_there_only(dbpath, listen,  # noqa: F811
                                                             territory, enabled):
    listen(False)
    secrets = {auth.PASSWORDS_KEY: [{"hash": auth.hash_password("mdp", iterations=1000),
                                     "territoires": [territory]}]}
    at = run("rapprochements.py", secrets)
    at.text_input(key="rappr_login_name").input("Léa")
    at.text_input(key="rappr_login_password").input("mdp")
    next(b for b in at.get("button") if str(b.proto.label) == "Se connecter").click()
    at.run()
    buttons = _buttons(at, "Confirmer") + _buttons(at, "Rejeter")
    assert len(buttons) == 4    # Muret and Toulouse are both in the Haute-Garonne
    assert all(b.disabled != enabled for b in buttons)
    if enabled:
        _buttons(at, "Rejeter")[0].click()
        at.run()
        assert len(_decisions(dbpath)) == 1
    else:
        assert "hors de votre territoire" in " ".join(c.value for c in at.caption).lower()
        assert _decisions(dbpath) == []


def test_methode_shows_the_queue_and_the_report(dbpath, listen):  # noqa: F811
    listen(False)
    at = run("methode.py")
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    queue = next(f for f in frames if "Éditeur" in f.columns and "Score" in f.columns)
    assert set(queue["Éditeur"]) == {"MURET", PREFECTURE}
    assert set(queue["Source"]) == {vocab.SOURCE.label(vocab.SOURCE_OBSERVATOIRE),
                                    vocab.SOURCE.label(vocab.SOURCE_DATAGOUV)}
    summary = next(f for f in frames if "Total" in f.columns)
    assert summary["Total"].sum() > 0
    # pick the edition: its comparison with OpenDataFrance's figures appears
    with db.connect(path=dbpath, read_only=True) as con:
        edition = con.execute("SELECT run_id FROM harvest_run WHERE kind = ?",
                              [vocab.KIND_OBSERVATOIRE]).fetchone()[0]
    at.selectbox(key="methode_rapport_snap").select(edition)
    at.run()
    assert not at.exception
    texts = [m.value for m in at.markdown]
    assert any("chiffres publiés par OpenDataFrance" in m and "`odf`" in m for m in texts)
    assert any("Sur les 5 lignes de l'édition, 4 sont rapprochées par leur SIREN" in m
               for m in texts)
