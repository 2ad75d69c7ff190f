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
