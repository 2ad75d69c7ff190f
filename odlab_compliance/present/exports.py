"""The one table writer for every export of the project: CSV for Excel and XLSX.

Every export (obligations, harvest status, follow-up lists, invitation lists...) goes
through ``to_bytes`` (dashboard download buttons) or ``write`` (CLI), so all files look
the same:

- CSV: ``;`` separator, UTF-8 with BOM (Excel then reads accents right), decimal comma,
  dates dd/mm/yyyy, booleans "oui"/"non", empty cell for a missing value, CRLF line ends.
- XLSX: one sheet, bold frozen header with a filter, typed cells (numbers are numbers,
  booleans are booleans, dates are dates) and text columns kept as text, so "01001" and
  "2A004" keep their form.
- Both: a text cell that starts with ``=``, ``+``, ``-`` or ``@`` cannot become a formula
  (harvested titles are untrusted input): CSV prefixes it with an apostrophe, XLSX stores
  it as a plain string.

Column order is the DataFrame's: callers choose it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

import pandas as pd

from odlab_compliance.fmt import is_missing

Format = Literal["csv", "xlsx"]
FORMATS: tuple[str, ...] = ("csv", "xlsx")
MIME_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CSV_SEPARATOR = ";"
CSV_ENCODING = "utf-8-sig"   # UTF-8 with BOM
BOOL_TEXT = ("oui", "non")
DATE_FORMAT_CSV = "%d/%m/%Y"
DATETIME_FORMAT_CSV = "%d/%m/%Y %H:%M:%S"
_FORMULA_STARTS = ("=", "+", "-", "@")
PARIS = "Europe/Paris"
_XLSX_MAX_SHEET_NAME = 31


def infer_format(path: str | Path, fmt: str | None = None) -> Format:
    """The format asked for, else the one the file extension says (.csv / .xlsx)."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ValueError(f"format inconnu : « {fmt} » (formats possibles : csv, xlsx)")
        return fmt  # type: ignore[return-value]
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(
            f"impossible de deviner le format de « {path} » : "
            "utilisez l'extension .csv ou .xlsx, ou l'option --format")
    return suffix  # type: ignore[return-value]


def stem(what: str, *parts: object) -> str:
    """A descriptive file stem: ``what`` then each part (territory key, rule, date...),
    lower case, accents and punctuation folded: ``obligees-dep-31-odf-2022-12-31``."""
    from odlab_compliance.fmt import fold

    words = [str(p) for p in (what, *parts) if p is not None and str(p) != ""]
    text = "-".join(fold(w).lower() for w in words)
    return "-".join(part for part in re.split(r"[^a-z0-9]+", text) if part)


def file_name(stem: str, fmt: str) -> str:
    """A download file name: ``obligations-2026-legal`` + ``csv``."""
    return f"{stem}.{fmt}"


def to_bytes(df: pd.DataFrame, fmt: Format, *, sheet_name: str = "export") -> bytes:
    """The file content, for a download button or a test."""
    if fmt == "csv":
        return _csv_bytes(df)
    if fmt == "xlsx":
        return _xlsx_bytes(df, sheet_name)
    raise ValueError(f"format inconnu : « {fmt} » (formats possibles : csv, xlsx)")


def write(df: pd.DataFrame, path: str | Path, fmt: str | None = None, *,
          sheet_name: str = "export") -> Path:
    """Write ``df`` to ``path`` (format from ``fmt`` or the extension), atomically:
    a failure never leaves a half-written file where the user expects the export."""
    target = Path(path)
    data = to_bytes(df, infer_format(target, fmt), sheet_name=sheet_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _paris_naive(col: pd.Series) -> pd.Series:
    """Aware timestamps shown as French wall-clock time (spreadsheets have no time zones)."""
    if getattr(col.dt, "tz", None) is not None:
        return col.dt.tz_convert(PARIS).dt.tz_localize(None)
    return col


# -- CSV ------------------------------------------------------------------------------

def _defuse(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where every column is already the text a French Excel user expects."""
    out = {}
    for name in df.columns:
        col = df[name]
        if pd.api.types.is_bool_dtype(col):
            out[name] = col.map(lambda v: "" if is_missing(v) else BOOL_TEXT[0 if v else 1])
        elif pd.api.types.is_datetime64_any_dtype(col):
            col = _paris_naive(col)
            has_time = (col.dropna().dt.normalize() != col.dropna()).any()
            out[name] = col.dt.strftime(DATETIME_FORMAT_CSV if has_time else DATE_FORMAT_CSV)
        elif pd.api.types.is_numeric_dtype(col):
            out[name] = col   # to_csv writes integers as is and floats with decimal=","
        elif pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"):
            # Text only: vectorised (the per-cell path below is 10x slower on 37,000 rows).
            risky = col.str.startswith(_FORMULA_STARTS).fillna(False).astype(bool)
            out[name] = col.mask(risky, "'" + col) if risky.any() else col
        else:
            out[name] = col.map(_csv_cell)
    return pd.DataFrame(out, index=df.index)


def _csv_cell(value: object) -> object:
    value = _plain_value(value)
    # Missing first: pandas' NaT is a datetime subclass whose strftime fails.
    if not isinstance(value, str) and is_missing(value):
        return None
    if isinstance(value, bool):
        return BOOL_TEXT[0 if value else 1]
    if isinstance(value, dt.datetime):
        return value.strftime(DATETIME_FORMAT_CSV)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT_CSV)
    if isinstance(value, str):
        return _defuse(value)
    return value


def _csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    _csv_frame(df).to_csv(buf, sep=CSV_SEPARATOR, index=False, decimal=",",
                          lineterminator="\r\n", na_rep="")
    return buf.getvalue().encode(CSV_ENCODING)


# -- XLSX -----------------------------------------------------------------------------
#
# openpyxl builds the workbook (styles, sheet view, filter, column widths, package
# parts); the rows of the sheet are then written as XML by column-wise string operations,
# in the very form openpyxl itself writes (inline strings). Cell by cell, openpyxl needs
# about 10 s of CPU for the 37,000 x 26 cells of the obligations export; this takes about
# one. The result is checked by reading it back with openpyxl in tests/test_exports.py.

_SHEET_PART = "xl/worksheets/sheet1.xml"
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_XML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def _column_letters(n: int) -> list[str]:
    from openpyxl.utils import get_column_letter
    return [get_column_letter(i) for i in range(1, n + 1)]


def _xml_text(values: pd.Series) -> pd.Series:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = values.astype(str).str.replace(ILLEGAL_CHARACTERS_RE.pattern, "", regex=True)
    for raw, escaped in _XML_ESCAPES:
        text = text.str.replace(raw, escaped, regex=False)
    return text


def _string_cells(refs: pd.Series, values: pd.Series, style: str = "") -> pd.Series:
    return ('<c r="' + refs + f'"{style} t="inlineStr"><is><t xml:space="preserve">'
            + _xml_text(values) + "</t></is></c>")


def _cells(col: pd.Series, refs: pd.Series, date_styles: tuple[int, int]) -> list[str]:
    """The XML of one column's cells (an empty string for an empty cell)."""
    present = col.notna()
    out = pd.Series("", index=col.index, dtype=object)
    if not present.any():
        return out.tolist()
    values, refs = col[present], refs[present]
    if pd.api.types.is_bool_dtype(col):
        xml = '<c r="' + refs + '" t="b"><v>' + values.astype(bool).astype(int).astype(str) + "</v></c>"
    elif pd.api.types.is_datetime64_any_dtype(col):
        values = _paris_naive(values)
        has_time = bool((values.dt.normalize() != values).any())
        serial = (values - _EXCEL_EPOCH) / pd.Timedelta(days=1)
        style = date_styles[1] if has_time else date_styles[0]
        xml = '<c r="' + refs + f'" s="{style}"><v>' + serial.map(repr) + "</v></c>"
    elif pd.api.types.is_integer_dtype(col):
        xml = '<c r="' + refs + '" t="n"><v>' + values.astype("int64").astype(str) + "</v></c>"
    elif pd.api.types.is_float_dtype(col):
        finite = values.map(math.isfinite)
        values, refs = values[finite], refs[finite]
        xml = '<c r="' + refs + '" t="n"><v>' + values.map(repr) + "</v></c>"
    elif pd.api.types.infer_dtype(values, skipna=True) == "string":
        xml = _string_cells(refs, values)
    else:
        xml = pd.Series([_any_cell(r, v, date_styles) for r, v in zip(refs, values, strict=True)],
                        index=values.index, dtype=object)
    out[xml.index] = xml
    return out.tolist()


def _any_cell(ref: str, value: object, date_styles: tuple[int, int]) -> str:
    """One cell of a mixed column (rare: typed columns take the vectorised paths)."""
    value = _plain_value(value)
    one = pd.Series([value])
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float) and math.isfinite(value):
        return f'<c r="{ref}" t="n"><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime | dt.date):
        return _cells(pd.to_datetime(one), pd.Series([ref]), date_styles)[0]
    return _string_cells(pd.Series([ref]), one.astype(str))[0]


def _plain_value(value: object) -> object:
    """A Python scalar; an aware datetime as naive Paris wall-clock time."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = pd.Timestamp(value).tz_convert(PARIS).tz_localize(None)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()                 # numpy scalar -> Python scalar
    return value


def _skeleton(df: pd.DataFrame, sheet_name: str) -> tuple[bytes, int, tuple[int, int]]:
    """An openpyxl workbook with the sheet's settings; (bytes, header style, date styles)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name[:_XLSX_MAX_SHEET_NAME] or "export"
    ws.freeze_panes = "A2"
    letters = _column_letters(max(len(df.columns), 1))
    sample = df.head(200)
    for letter, name in zip(letters, df.columns, strict=False):
        lengths = sample[name].map(lambda v: 0 if is_missing(v) else len(str(v)))
        longest = int(lengths.max()) if len(lengths) else 0
        ws.column_dimensions[letter].width = max(8, min(60, max(len(str(name)), longest) + 2))
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{letters[len(df.columns) - 1]}{len(df) + 1}"
    ws["A1"].font = Font(bold=True)
    ws["A2"].number_format = "DD/MM/YYYY"
    ws["B2"].number_format = "DD/MM/YYYY HH:MM:SS"
    styles = (ws["A1"].style_id, (ws["A2"].style_id, ws["B2"].style_id))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), styles[0], styles[1]


def _xlsx_bytes(df: pd.DataFrame, sheet_name: str) -> bytes:
    skeleton, header_style, date_styles = _skeleton(df, sheet_name)
    letters = _column_letters(len(df.columns))
    rownums = pd.Series(range(2, len(df) + 2), index=df.index).astype(str)
    columns = [_cells(df[name], letter + rownums, date_styles)
               for letter, name in zip(letters, df.columns, strict=True)]
    header = "".join(_string_cells(pd.Series([f"{letter}1"]), pd.Series([str(name)]),
                                   f' s="{header_style}"')[0]
                     for letter, name in zip(letters, df.columns, strict=True))
    rows = [f'<row r="1">{header}</row>']
    rows += [f'<row r="{i}">' + "".join(cells) + "</row>"
             for i, cells in enumerate(zip(*columns, strict=True), start=2)]
    sheet_data = "<sheetData>" + "".join(rows) + "</sheetData>"
    last = f"{letters[-1]}{len(df) + 1}" if letters else "A1"

    src = zipfile.ZipFile(io.BytesIO(skeleton))
    sheet = src.read(_SHEET_PART).decode("utf-8")
    sheet = re.sub(r"<sheetData>.*</sheetData>|<sheetData\s*/>", lambda _: sheet_data, sheet,
                   count=1, flags=re.S)
    sheet = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:{last}"', sheet, count=1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        for item in src.infolist():
            data = sheet.encode("utf-8") if item.filename == _SHEET_PART else src.read(item)
            dst.writestr(item.filename, data)
    return out.getvalue()
