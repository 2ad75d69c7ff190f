"""`export obligations` end to end: a small database in a temporary ODLAB_HOME."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import openpyxl
import pytest

from odlab_compliance.cli import main
from odlab_compliance.db import connect
from odlab_compliance.model.obligation import OUTPUT_COLUMNS
from tests.test_obligation import load_fixtures


@pytest.fixture
def loaded(settings):
    with connect(settings) as con:
        load_fixtures(con)
    return settings


def test_export_csv(loaded, tmp_path, capsys):
    out = tmp_path / "obligations.csv"
    assert main(["export", "obligations", "--vintage", "2026", "--rule", "legal",
                 "--output", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0][: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert len(rows) == 1 + 19
    by_code = {(r[1], r[3]): r for r in rows[1:]}
    ajaccio = by_code[("2A004", "COM")]
    assert ajaccio[0] == "212000046" and ajaccio[14] == "obligee"
    assert by_code[("01001", "COM")][16] == "oui"                     # proche_seuil
    assert by_code[("01005", "COM")][14] == "a_verifier"
    said = capsys.readouterr().out
    assert "20 ligne" not in said and "19 ligne(s)" in said and "règle legal" in said


def test_export_xlsx_by_option_and_assumption_said(loaded, tmp_path, capsys):
    out = tmp_path / "obligations.bin"
    assert main(["export", "obligations", "--vintage", "2026", "--rule", "odf",
                 "--output", str(out), "--format", "xlsx"]) == 0
    ws = openpyxl.load_workbook(io.BytesIO(out.read_bytes())).active
    header = [c.value for c in ws[1]]
    assert tuple(header[: len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    codes = {ws.cell(row=i, column=2).value: ws.cell(row=i, column=2).data_type
             for i in range(2, ws.max_row + 1)}
    assert codes["01001"] == "s" and codes["2A004"] == "s"
    assert "hypothèse de l'Observatoire, pas la loi" in capsys.readouterr().out


def test_vintage_not_loaded(loaded, tmp_path, capsys):
    out = tmp_path / "o.csv"
    code = main(["export", "obligations", "--vintage", "2019", "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "millésime 2019" in err and "reference update --vintage 2019" in err


def test_no_database_yet(settings, tmp_path, capsys):
    code = main(["export", "obligations", "--vintage", "2026", "--output", str(tmp_path / "o.csv")])
    assert code == 2
    assert "aucun millésime chargé" in capsys.readouterr().err
    assert not settings.db_path.exists()


def test_unknown_extension_is_refused_before_work(loaded, tmp_path, capsys):
    code = main(["export", "obligations", "--vintage", "2026", "--output", str(tmp_path / "o.ods")])
    assert code == 2
    assert "extension .csv ou .xlsx" in capsys.readouterr().err


def test_help_through_python_m(env):
    done = subprocess.run([sys.executable, "-m", "odlab_compliance", "export", "obligations",
                           "--help"], capture_output=True, text=True, check=True)
    assert "--vintage" in done.stdout and "legal_hypothese_odf" in done.stdout


def test_unwritable_output_is_a_french_error(loaded, tmp_path, capsys):
    folder = tmp_path / "dossier.csv"
    folder.mkdir()
    code = main(["export", "obligations", "--vintage", "2026", "--output", str(folder)])
    assert code == 2
    assert "impossible d'écrire" in capsys.readouterr().err


def test_export_veille_lists_those_near_a_threshold(loaded, tmp_path, capsys):
    out = tmp_path / "veille.csv"
    assert main(["export", "veille", "--territory", "dep:01", "--output", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")),
                               delimiter=";"))
    by_code = {r["code_insee"]: r for r in rows}
    # 01001 (3 499 inhabitants) is near; 01003 (municipale 3 480, totale 3 520) too
    assert {"01001", "01003"} <= set(by_code)
    assert "population_proche" in by_code["01001"]["veille"]
    assert "mesures_divergentes" in by_code["01003"]["veille"]
    assert by_code["01001"]["ce_qui_changerait"].startswith("le millésime")
    assert all(r["departement"] == "01" for r in rows)
    assert "référentiel 2026, dep:01" in capsys.readouterr().out
    assert main(["export", "veille", "--territory", "canton:12", "--output", str(out)]) == 2
