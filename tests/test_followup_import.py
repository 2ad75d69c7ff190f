"""Import of a follow-up spreadsheet: good files are appended, bad ones write nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.errors import InputError
from odlab_compliance.outreach import followup, followup_import
from odlab_compliance.present import exports
from tests.fixtures.outreach.rows import load_ref

FIX = Path(__file__).resolve().parent / "fixtures" / "outreach"


@pytest.fixture
def con(tmp_path):
    with db.connect(path=tmp_path / "odlab.duckdb") as c:
        load_ref(c)
        yield c


def test_import_csv(con):
    n = followup_import.import_file(con, FIX / "suivi_ok.csv", editor="alice")
    st = followup.state(con).set_index("siren")
    assert n == 8
    assert st.loc["213105554", "etape"] == "contacte"
    assert st.loc["213105554", "prochaine_action"] == pd.Timestamp(2026, 10, 15)
    assert st.loc["213100696", "etape"] == "accompagne"
    assert st.loc["213101496", "contact"] == "Mme Durand"
    log = followup.log(con)
    assert set(log["origine"]) == {"import:suivi_ok.csv"}
    assert log[log["champ"] == "note"]["date_effet"].min() == pd.Timestamp(2026, 9, 1)


def test_import_xlsx(con):
    df = pd.DataFrame({"siren": ["213105554"], "etape": ["Vérifiée"], "date": [date(2026, 9, 1)],
                       "note": ["Jeux SCDL vérifiés"]})
    n = followup_import.import_bytes(con, exports.to_bytes(df, "xlsx"), "suivi.xlsx",
                                     editor="alice")
    assert n == 2
    assert followup.state(con).loc[0, "etape"] == "verifie"


@pytest.mark.parametrize("fixture, expected", [
    ("suivi_colonne_inconnue.csv", ["ligne 1 : colonne inconnue « commentaire »"]),
    ("suivi_erreurs.csv", ["ligne 2 : date « 31/02/2026 » : date invalide",
                           "ligne 4 : SIREN « 213105555 » : clé de contrôle invalide",
                           "ligne 5 : SIREN 200066926 absent du référentiel"]),
    ("suivi_latin1.csv", ["pas en UTF-8", "ligne 3 : caractères non UTF-8"]),
    ("suivi_vide.csv", ["fichier vide"]),
    ("suivi_entete_seule.csv", ["aucune ligne après l'en-tête"]),
])
def test_bad_files_write_nothing(con, fixture, expected):
    with pytest.raises(InputError) as exc:
        followup_import.import_file(con, FIX / fixture, editor="alice")
    msg = str(exc.value)
    assert msg.startswith(fixture)
    for part in expected:
        assert part in msg
    assert "ligne 3" not in msg or fixture == "suivi_latin1.csv"
    assert followup.log(con).empty


def test_template_columns():
    assert list(followup_import.template().columns)[:3] == ["siren", "nom", "etape"]


# -- the app's own exports come back: only what a person edited is written ------------------

TLS, BLAGNAC, COLOMIERS = "213105554", "213100696", "213101496"


def _seed(con) -> None:
    followup.record(con, [
        followup.Change(TLS, etape="contacte", note="Premier appel",
                        date_effet=date(2026, 9, 1), prochaine_action=date(2026, 10, 15),
                        contact="+33 5 61 22 29 22"),   # a "formula" start: exported as '+33
        followup.Change(BLAGNAC, etape="accompagne", note="Atelier SCDL",
                        contact="Mme Durand"),
        followup.Change(COLOMIERS, note="Relance par courriel"),
    ], editor="alice", origin="page")


def _change_stage(df: pd.DataFrame, siren_col: str, stage_col: str, siren: str,
                  value: str) -> pd.DataFrame:
    out = df.copy()
    out.loc[out[siren_col].astype(str) == siren, stage_col] = value
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_export_round_trip_writes_only_the_edited_stage(con, tmp_path, fmt):
    """followup export -> a spreadsheet changes one stage -> followup import: the log
    gains that one stage, nothing else (the other columns are the export's own)."""
    from odlab_compliance.cli import followup as cli_followup  # noqa: F401 (the CLI's export)

    _seed(con)
    exported = tmp_path / f"suivi.{fmt}"
    exports.write(followup.state_with_names(con), exported)
    again = followup_import.import_file(con, exported, editor="bob")
    assert again == 0, "an export brought back unchanged writes nothing"
    if fmt == "csv":
        df = pd.read_csv(exported, sep=";", dtype=str, encoding="utf-8-sig",
                         keep_default_na=False)
        assert df.set_index("siren").loc[TLS, "contact"] == "'+33 5 61 22 29 22"
    else:
        df = pd.read_excel(exported, dtype=str, keep_default_na=False)
    edited = tmp_path / f"suivi-modifie.{fmt}"
    exports.write(_change_stage(df, "siren", "etape", COLOMIERS, "Accompagnée"), edited)
    before = len(followup.log(con))
    assert followup_import.import_file(con, edited, editor="bob") == 1
    new = followup.log(con).iloc[before:]
    assert list(zip(new["siren"], new["champ"], new["valeur"], new["editeur"],
                    strict=True)) == [(COLOMIERS, "etape", "accompagne", "bob")]
    st = followup.state(con).set_index("siren")
    assert st.loc[TLS, "contact"] == "+33 5 61 22 29 22"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_page_download_round_trip(con, tmp_path, fmt):
    """The page's download (French headers, stage labels, the worklist's columns) is
    read back the same way."""
    from tests.fixtures.outreach.rows import status_frame

    _seed(con)
    work = followup.worklist(status_frame({TLS: {"statut": "non_publie"},
                                           BLAGNAC: {"statut": "non_publie"}}),
                             followup.state(con))
    # Suivi also shows the e-mail and where it comes from (the Annuaire, issue 19)
    shown = work.assign(etape=work["etape"].map(followup.STAGES),
                        courriel="mairie@exemple.fr", contact_origine="Annuaire") \
        .reindex(columns=[*followup.WORKLIST_COLUMNS, "courriel", "contact_origine"]) \
        .rename(columns=followup.COLUMN_LABELS)
    data = exports.to_bytes(shown, fmt)
    assert followup_import.import_bytes(con, data, f"liste.{fmt}", editor="bob") == 0
    path = tmp_path / f"liste.{fmt}"
    path.write_bytes(data)
    df = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False) \
        if fmt == "csv" else pd.read_excel(path, dtype=str, keep_default_na=False)
    df = _change_stage(df, "SIREN", "Étape", TLS, "Publie")
    before = len(followup.log(con))
    assert followup_import.import_bytes(con, exports.to_bytes(df, fmt), f"liste.{fmt}",
                                        editor="bob") == 1
    new = followup.log(con).iloc[before:]
    assert list(zip(new["siren"], new["champ"], new["valeur"], strict=True)) == [
        (TLS, "etape", "publie")]


def test_a_journal_export_is_refused_and_a_typo_too(con):
    _seed(con)
    journal = exports.to_bytes(followup.log(con), "csv")
    with pytest.raises(InputError, match="journal"):
        followup_import.import_bytes(con, journal, "journal.csv", editor="bob")
    with pytest.raises(InputError) as err:
        followup_import.import_bytes(con, b"siren;etap\n213105554;Publie\n",
                                     "typo.csv", editor="bob")
    assert "colonne inconnue « etap »" in str(err.value)


def test_import_outside_the_editors_territory_writes_nothing(con):
    _seed(con)
    text = ("siren;etape\n"
            f"{TLS};Contactée\n"          # unchanged: let through
            "213200553;Contactée\n")      # Auch (Gers): a change outside dep:31
    before = len(followup.log(con))
    with pytest.raises(InputError) as err:
        followup_import.import_bytes(con, text.encode(), "f.csv", editor="agent31",
                                     allowed={TLS, BLAGNAC, COLOMIERS}, scope="dep:31")
    assert "ligne 3" in str(err.value) and "hors de votre territoire (dep:31)" in str(err.value)
    assert len(followup.log(con)) == before


# -- nothing lost: older lines, stages going back, notes typed in an export (issue 16) -----

def _export_state(con, tmp_path, name="etat.csv") -> pd.DataFrame:
    path = tmp_path / name
    exports.write(followup.state_with_names(con), path)
    if name.endswith(".xlsx"):
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    return pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False)


def _csv(df: pd.DataFrame) -> bytes:
    return exports.to_bytes(df, "csv")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_older_export_is_refused_then_accepted_with_force(con, tmp_path, fmt):
    import time

    followup.record(con, [followup.Change(BLAGNAC, etape="contacte",
                                          date_effet=date(2026, 11, 2))],
                    editor="alice", origin="page")
    older = _export_state(con, tmp_path, f"etat.{fmt}")
    assert followup_import.plan_bytes(con, _csv(older), "etat.csv").lines == ()
    time.sleep(1.1)   # « Mis à jour le » is written to the second
    followup.record(con, [followup.Change(BLAGNAC, etape="accompagne",
                                          date_effet=date(2026, 11, 20))],
                    editor="bob", origin="page")
    plan = followup_import.plan_bytes(con, _csv(older), "etat.csv")
    [line] = plan.lines
    assert line.needs_confirmation and line.line == 2
    assert "plus ancienne que le suivi enregistré" in line.warnings[0]
    assert "par bob" in line.warnings[0]
    assert any("reculerait de « Accompagnée » à « Contactée »" in w for w in line.warnings)
    with pytest.raises(followup_import.NeedsConfirmation) as err:
        followup_import.import_bytes(con, _csv(older), "etat.csv", editor="carol")
    assert "ligne 2" in str(err.value) and "--force" in str(err.value)
    assert followup.state(con).set_index("siren").loc[BLAGNAC, "etape"] == "accompagne"
    # confirmed (the page's checkbox, the command line's --force): written
    assert followup_import.apply(con, plan, editor="carol", confirmed={2}) == 1
    assert followup.state(con).set_index("siren").loc[BLAGNAC, "etape"] == "contacte"


def test_a_stage_going_back_needs_a_confirmation_even_in_a_current_file(con):
    followup.record(con, [followup.Change(TLS, etape="publie")], editor="alice",
                    origin="page")
    text = f"siren;etape\n{TLS};Contactée\n{BLAGNAC};Accompagnée\n".encode()
    plan = followup_import.plan_bytes(con, text, "f.csv")
    assert [(x.line, x.needs_confirmation, x.new) for x in plan.lines] == [
        (2, True, False), (3, False, True)]
    assert [x.line for x in plan.accepted()] == [3]
    assert followup_import.import_bytes(con, text, "f.csv", editor="bob", force=True) == 2


def test_a_note_typed_in_the_exported_last_note_is_recorded_with_its_date(con, tmp_path):
    _seed(con)
    df = _export_state(con, tmp_path)
    assert followup_import.plan_bytes(con, _csv(df), "etat.csv").lines == ()
    df.loc[df["siren"] == COLOMIERS, "derniere_note"] = "Rendez-vous le 9 décembre"
    df.loc[df["siren"] == COLOMIERS, "date_derniere_note"] = "03/12/2026"
    df.loc[df["siren"] == TLS, "date_derniere_note"] = "02/09/2026"   # a date corrected
    plan = followup_import.plan_bytes(con, _csv(df), "etat.csv")
    assert [x.edits for x in plan.lines] == [         # in the file's order (by SIREN)
        ("note du 03/12/2026 : « Rendez-vous le 9 décembre »",),
        ("date de la note : 01/09/2026 → 02/09/2026",)]
    assert not plan.to_confirm()
    assert followup_import.import_bytes(con, _csv(df), "etat.csv", editor="bob") == 2
    st = followup.state(con).set_index("siren")
    assert st.loc[COLOMIERS, "derniere_note"] == "Rendez-vous le 9 décembre"
    assert st.loc[COLOMIERS, "date_derniere_note"] == pd.Timestamp(2026, 12, 3)
    assert st.loc[TLS, "date_derniere_note"] == pd.Timestamp(2026, 9, 2)


def test_an_old_note_brought_back_is_not_taken_for_a_new_one(con):
    _seed(con)
    followup.record(con, [followup.Change(COLOMIERS, note="Deuxième relance")],
                    editor="alice", origin="page")
    text = f"siren;derniere_note\n{COLOMIERS};Relance par courriel\n".encode()
    [line] = followup_import.plan_bytes(con, text, "f.csv").lines
    assert line.needs_confirmation
    assert "note précédente" in line.warnings[0]


def test_a_misspelt_stage_names_the_line_the_labels_and_the_one_meant(con):
    text = f"siren;etape\n{TLS};Contacté\n{BLAGNAC};en cours\n{COLOMIERS};ACCOMPAGNEE\n"
    with pytest.raises(InputError) as err:
        followup_import.import_bytes(con, text.encode(), "f.csv", editor="bob")
    msg = str(err.value)
    assert "ligne 2 : étape « Contacté » inconnue : vouliez-vous dire « Contactée » ?" in msg
    assert "ligne 3 : étape « en cours » inconnue (étapes acceptées : « À contacter »" in msg
    assert "ligne 4" not in msg            # a label whatever its case and accents
    assert followup.log(con).empty


def test_the_preview_names_the_columns_read_and_ignored(con, tmp_path):
    _seed(con)
    plan = followup_import.plan_bytes(con, _csv(_export_state(con, tmp_path)), "etat.csv")
    assert set(plan.read) == {"siren", "etape", "etape_depuis", "prochaine_action",
                              "contact", "derniere_note", "date_derniere_note",
                              "mis_a_jour_le"}
    assert set(plan.ignored) == {"nom", "type", "departement", "nb_notes",
                                 "dernier_editeur"}
    # every column the app exports is read or named as ignored: none refused
    for columns in (followup.STATE_COLUMNS, followup.WORKLIST_COLUMNS):
        header = ";".join(columns).encode()
        row = ";".join(TLS if c == "siren" else "" for c in columns).encode()
        followup_import.plan_bytes(con, header + b"\n" + row + b"\n", "x.csv")
