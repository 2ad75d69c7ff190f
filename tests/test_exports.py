"""The table writer shared by every export: CSV for a French Excel, XLSX with typed cells."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from odlab_compliance.present import exports


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "siren": ["210100012", "212000046", None],
        "code_insee": ["01001", "2A004", "97105"],
        "nom": ["L'Abergement-Clémenciat", "Ajaccio; ville", "Basse-Terre \"97\""],
        "population_totale": pd.array([3499, None, 10000], dtype="Int64"),
        "taux": [0.5, None, 12.25],
        "proche_seuil": [True, False, True],
        "date_snapshot": pd.to_datetime(["2026-11-27", None, "2026-01-05"]),
        "titre": ["=HYPERLINK(\"http://x\")", "+33 1 23", "@SUM(A1)"],
    })


def test_csv_bytes_bom_separator_header_and_text_codes(frame):
    data = exports.to_bytes(frame, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(frame.columns)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[1] for r in rows[1:]] == ["01001", "2A004", "97105"]
    assert rows[1][0] == "210100012" and rows[3][0] == ""
    assert rows[2][2] == "Ajaccio; ville" and rows[3][2] == 'Basse-Terre "97"'
    assert [r[3] for r in rows[1:]] == ["3499", "", "10000"]        # integers stay integers
    assert [r[4] for r in rows[1:]] == ["0,5", "", "12,25"]         # decimal comma
    assert [r[5] for r in rows[1:]] == ["oui", "non", "oui"]
    assert [r[6] for r in rows[1:]] == ["27/11/2026", "", "05/01/2026"]
    assert "\r\n" in text


def test_csv_defuses_formulas(frame):
    rows = list(csv.reader(io.StringIO(exports.to_bytes(frame, "csv").decode("utf-8-sig")),
                           delimiter=";"))
    assert [r[7] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+33 1 23", "'@SUM(A1)"]


def test_xlsx_cells_are_typed_and_codes_are_text(frame):
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_bytes(frame, "xlsx", sheet_name="obligations 2026")))
    ws = wb["obligations 2026"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(frame.columns)
    assert [r[1] for r in rows[1:]] == ["01001", "2A004", "97105"]
    assert all(ws.cell(row=i, column=2).data_type == "s" for i in (2, 3, 4))
    assert ws.cell(row=2, column=1).data_type == "s"
    assert [r[3] for r in rows[1:]] == [3499, None, 10000]
    assert [r[5] for r in rows[1:]] == [True, False, True]
    assert rows[1][6] == dt.datetime(2026, 11, 27) and rows[2][6] is None
    assert ws.cell(row=2, column=7).number_format == "DD/MM/YYYY"
    assert ws.cell(row=2, column=8).data_type == "s"                 # not a formula
    assert rows[1][7] == "=HYPERLINK(\"http://x\")"
    assert ws.freeze_panes == "A2" and ws.cell(row=1, column=1).font.bold


def test_xlsx_strips_characters_excel_refuses():
    df = pd.DataFrame({"titre": ["a\x00b\x1fc"]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_bytes(df, "xlsx")))
    assert wb.active["A2"].value == "abc"


def test_empty_frame_writes_a_header():
    df = pd.DataFrame({"siren": pd.Series([], dtype="str"), "n": pd.Series([], dtype="Int64")})
    assert exports.to_bytes(df, "csv").decode("utf-8-sig") == "siren;n\r\n"
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_bytes(df, "xlsx")))
    assert [c.value for c in wb.active[1]] == ["siren", "n"]


def test_write_infers_format_and_is_atomic(tmp_path, frame):
    out = exports.write(frame, tmp_path / "sub" / "f.XLSX")
    assert openpyxl.load_workbook(out).active.max_row == 4
    out = exports.write(frame, tmp_path / "f.txt", "csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt", "sub"]


def test_write_failure_leaves_no_file(tmp_path, monkeypatch, frame):
    target = tmp_path / "f.csv"

    def boom(*a, **k):
        raise OSError("disque plein")

    monkeypatch.setattr(exports.os, "replace", boom)
    with pytest.raises(OSError):
        exports.write(frame, target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("path", "fmt", "want"), [
    ("a.csv", None, "csv"), ("a.xlsx", None, "xlsx"), ("a", "XLSX", "xlsx"), ("a.csv", "xlsx", "xlsx"),
])
def test_infer_format(path, fmt, want):
    assert exports.infer_format(path, fmt) == want


def test_infer_format_errors_are_french():
    with pytest.raises(ValueError, match="extension .csv ou .xlsx"):
        exports.infer_format("a.txt")
    with pytest.raises(ValueError, match="format inconnu"):
        exports.infer_format("a.csv", "ods")


def test_mime_types_and_file_name():
    assert exports.MIME_TYPES["csv"] == "text/csv"
    assert exports.file_name("obligations-2026-legal", "xlsx") == "obligations-2026-legal.xlsx"


def test_xlsx_escapes_xml_and_handles_mixed_and_tz_columns():
    df = pd.DataFrame({
        "texte": ["a & b < c > d", "ligne 1\nligne 2", "  espaces  "],
        "mixte": [1, "deux", dt.date(2026, 3, 9)],
        "quand": pd.to_datetime(["2026-03-09T10:30:00+01:00", None, "2026-03-10T00:00:00+01:00"]),
        "entier": pd.array([None, 2, 3], dtype="Int64"),
        "flottant": [float("inf"), 1.25, float("nan")],
    })
    data = exports.to_bytes(df, "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["a & b < c > d", "ligne 1\nligne 2", "  espaces  "]
    assert [r[1] for r in rows] == [1, "deux", dt.datetime(2026, 3, 9)]
    assert rows[0][2] == dt.datetime(2026, 3, 9, 10, 30) and rows[1][2] is None   # Paris time
    assert wb.active["C2"].number_format == "DD/MM/YYYY HH:MM:SS"
    assert [r[3] for r in rows] == [None, 2, 3]
    assert [r[4] for r in rows] == [None, 1.25, None]
    assert wb.active.dimensions == "A1:E4"


def test_csv_missing_datetime_in_object_column_is_empty():
    df = pd.DataFrame({"d": pd.Series([pd.NaT, pd.Timestamp("2026-01-02")], dtype=object),
                       "n": ["a", "b"]})
    text = exports.to_bytes(df, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["d", "n"]
    assert rows[1] == ["", "a"]                       # empty, not "NaT" nor "None"
    assert rows[2][0].startswith("02/01/2026") and rows[2][1] == "b"
