"""CLI of the outreach tools, and survival of user data through a real harvest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from odlab_compliance.outreach import followup, workshops
from tests.fixtures.outreach.rows import BALMA, BLAGNAC, COLOMIERS, TLS, build_db

FIX = Path(__file__).resolve().parent / "fixtures" / "outreach"


@pytest.fixture
def fixture_db(settings):
    with db.connect(settings) as con:
        build_db(con)
    return settings.db_path


def test_followup_import_note_export(fixture_db, tmp_path, capsys):
    assert main(["followup", "import", str(FIX / "suivi_ok.csv"), "--editeur", "alice"]) == 0
    assert main(["followup", "note", TLS, "Relance", "--etape", "accompagne"]) == 0
    out = tmp_path / "suivi.csv"
    assert main(["followup", "export", "--output", str(out)]) == 0
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig")
    assert df.set_index("siren").loc[TLS, "etape"] == "accompagne"
    assert df.set_index("siren").loc[TLS, "nom"] == "Toulouse"
    assert main(["followup", "export", "--journal", "--output", str(tmp_path / "j.xlsx")]) == 0
    assert main(["followup", "export", "--retard", "--territory", "dep:31", "--rule", "odf",
                 "--output", str(tmp_path / "r.csv")]) == 0
    late = pd.read_csv(tmp_path / "r.csv", sep=";", dtype=str, encoding="utf-8-sig")
    assert {COLOMIERS, BALMA} <= set(late["siren"])


def test_followup_import_bad_file_exit_2(fixture_db, capsys):
    assert main(["followup", "import", str(FIX / "suivi_erreurs.csv")]) == 2
    err = capsys.readouterr().err
    assert "suivi_erreurs.csv" in err and "ligne 2" in err
    with db.connect(path=fixture_db, read_only=True) as con:
        assert followup.log(con).empty
    assert main(["followup", "export", "--retard", "--territory", "dept31",
                 "--output", "x.csv"]) == 2


def test_changes_cli(fixture_db, tmp_path, capsys):
    out = tmp_path / "changes.csv"
    assert main(["changes", "--territory", "dep:31", "--from", "2026-03-15", "--to",
                 "2026-09-15", "--rule", "odf", "--output", str(out)]) == 0
    df = pd.read_csv(out, sep=";", dtype=str, encoding="utf-8-sig")
    assert dict(zip(df["nom"], df["changement"], strict=True)) == {
        "Blagnac": "commence", "Colomiers": "arrete", "Balma": "devenu_inconnu"}
    digest = out.with_suffix(".txt").read_text(encoding="utf-8")
    assert "Haute-Garonne (31)" in digest and "Ont cessé de publier (1) : Colomiers." in digest
    assert main(["changes", "--territory", "reg:76", "--from", "2026-03-15", "--to",
                 "2026-10-15", "--output", str(tmp_path / "r.csv"), "--par-departement"]) == 0
    assert (tmp_path / "r-31.txt").read_text(encoding="utf-8").count("Haute-Garonne") == 1
    assert len(pd.read_csv(tmp_path / "r-31.csv", sep=";", encoding="utf-8-sig")) == 4
    assert main(["changes", "--from", "2025-01-01", "--to", "2026-09-15",
                 "--output", str(out)]) == 2
    assert "aucun instantané au 01/01/2025" in capsys.readouterr().err


def test_workshop_cli(fixture_db, tmp_path, capsys):
    with db.connect(path=fixture_db) as con:
        wid = workshops.create(con, titre="Atelier", date_atelier=date(2026, 4, 1),
                               editor="alice", invitees=pd.DataFrame(
                                   {"siren": [BLAGNAC, COLOMIERS], "nom": ["Blagnac", "Colomiers"],
                                    "distance_km": [8.0, 11.0]}))
    assert main(["workshop", "list"]) == 0
    assert "2 invité(s)" in capsys.readouterr().out
    out = tmp_path / "inv.xlsx"
    assert main(["workshop", "export", str(wid), "--output", str(out)]) == 0
    assert set(pd.read_excel(out, dtype=str)["siren"]) == {BLAGNAC, COLOMIERS}
    with db.connect(path=fixture_db) as con:
        followup.record(con, [followup.Change(BLAGNAC, contact="M. Blanc")], editor="alice",
                        origin="page")
    assert main(["workshop", "export", str(wid), "--output", str(out)]) == 0
    listed = pd.read_excel(out, dtype=str).set_index("siren")
    assert listed.loc[BLAGNAC, "contact"] == "M. Blanc"    # the follow-up's contact
    assert listed.loc[BLAGNAC, "epci_nom"] == "Toulouse Métropole"
    assert main(["workshop", "export", "42", "--output", str(out)]) == 2


def test_user_data_survives_a_real_harvest(fixture_db, server, monkeypatch, tmp_path):
    from tests.fixtures.harvest.site import load_fixture_site

    monkeypatch.setenv("ODLAB_DATAGOUV_URL", server.url)
    load_fixture_site().install(server)
    with db.connect(path=fixture_db) as con:
        followup.record(con, [followup.Change(TLS, etape="contacte", note="Appel")],
                        editor="alice", origin="page")
        workshops.create(con, titre="Atelier", date_atelier=date(2026, 4, 1), editor="alice",
                         invitees=pd.DataFrame({"siren": [BLAGNAC], "nom": ["Blagnac"]}))
        before = (followup.log(con), workshops.invitations(con))
    main(["harvest", "--source", "datagouv", "--quiet"])
    with db.connect(load_settings()) as con:
        runs = con.execute("SELECT count(*) FROM harvest_run").fetchone()[0]
        pd.testing.assert_frame_equal(followup.log(con), before[0])
        pd.testing.assert_frame_equal(workshops.invitations(con), before[1])
    assert runs == 4  # the harvest did run


@pytest.mark.mirror
@pytest.mark.slow
def test_user_data_survives_reference_update(mirror_dir, fixture_db, monkeypatch):
    monkeypatch.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    with db.connect(path=fixture_db) as con:
        followup.record(con, [followup.Change(TLS, note="avant la mise à jour")],
                        editor="alice", origin="page")
        before = followup.log(con)
    from odlab_compliance.ingest.reference.load import load_vintage

    with db.connect(load_settings()) as con:
        load_vintage(con, 2026, load_settings())
        assert con.execute("SELECT count(*) FROM ref_collectivite").fetchone()[0] > 1000
        pd.testing.assert_frame_equal(followup.log(con), before)


def test_cli_writes_respect_the_editors_territories(fixture_db, tmp_path, monkeypatch, capsys):
    """The dashboard's odlab_editor_territories apply to --editeur on the command line."""
    from odlab_compliance import auth

    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[odlab_editor_territories]\n"agent@gers.gouv.fr" = ["dep:32"]\n',
                       encoding="utf-8")
    monkeypatch.setattr(auth, "secrets_files", lambda root: [secrets])
    assert main(["followup", "note", TLS, "Appel", "--editeur", "agent@gers.gouv.fr"]) == 2
    assert "hors de votre territoire (dep:32)" in capsys.readouterr().err
    upload = tmp_path / "suivi.csv"
    upload.write_text(f"siren;note\n{TLS};Appel\n", encoding="utf-8")
    assert main(["followup", "import", str(upload), "--editeur", "agent@gers.gouv.fr"]) == 2
    with db.connect(path=fixture_db, read_only=True) as con:
        assert followup.log(con).empty
    assert main(["followup", "note", "213200553", "Appel", "--editeur",
                 "agent@gers.gouv.fr"]) == 0          # Auch, in the Gers
    assert main(["followup", "note", TLS, "Appel", "--editeur", "operateur"]) == 0
    with db.connect(path=fixture_db, read_only=True) as con:
        got = followup.log(con)
    assert list(zip(got["editeur"], got["origine"], strict=True)) == [
        ("agent@gers.gouv.fr", "cli (limité à dep:32)"), ("operateur", "cli")]


def test_cli_import_of_an_older_export_needs_force(fixture_db, tmp_path, capsys):
    """Issue 16: `followup export`, a newer `followup note --etape accompagne`, then the
    older file imported: refused with code 3 naming the line, nothing written; the
    preview first; `--apercu` writes nothing; `--force` accepts."""
    import time

    assert main(["followup", "note", TLS, "Premier appel", "--etape", "contacte"]) == 0
    older = tmp_path / "suivi.csv"
    assert main(["followup", "export", "--output", str(older)]) == 0
    time.sleep(1.1)
    assert main(["followup", "note", TLS, "Atelier", "--etape", "accompagne"]) == 0
    capsys.readouterr()
    assert main(["followup", "import", str(older)]) == 3
    out, err = capsys.readouterr()
    assert "ligne 2 (213105554) : À CONFIRMER étape : Accompagnée → Contactée" in out
    assert "colonnes ignorées" in out and "nom" in out
    assert "ligne 2 : SIREN 213105554 : ligne plus ancienne que le suivi enregistré" in err
    assert "--force" in err and "rien n'a été enregistré" in err
    with db.connect(path=fixture_db, read_only=True) as con:
        assert followup.state(con).set_index("siren").loc[TLS, "etape"] == "accompagne"
        before = len(followup.log(con))
    assert main(["followup", "import", str(older), "--force", "--apercu"]) == 0
    with db.connect(path=fixture_db, read_only=True) as con:
        assert len(followup.log(con)) == before
    assert main(["followup", "import", str(older), "--force", "--editeur", "bob"]) == 0
    with db.connect(path=fixture_db, read_only=True) as con:
        st = followup.state(con).set_index("siren")
    assert st.loc[TLS, "etape"] == "contacte"
    assert st.loc[TLS, "derniere_note"] == "Premier appel"   # the older note, confirmed


def test_cli_import_help_lists_the_columns_really_read(capsys):
    with pytest.raises(SystemExit):
        main(["followup", "import", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for column in ("derniere_note", "date_derniere_note", "mis_a_jour_le", "etape_depuis",
                   "--force"):
        assert column in out
