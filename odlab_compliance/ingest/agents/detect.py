"""Which agent file is this? Sirene CSV, Sirene Parquet or a prefecture CSV.

The format is told by content, never by the file name: Parquet by its magic bytes, a CSV
by its header. The header also gives the delimiter (``;`` as Excel writes it in France,
or ``,`` as INSEE does) and the encoding (UTF-8, with or without BOM, else Windows-1252:
a CSV saved by Excel on a French Windows is cp1252, and it is accepted with a note).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import fold
from odlab_compliance.textfile import CP1252, decode_lenient, sniff_delimiter

SIRENE_CSV = "sirene_csv"
SIRENE_PARQUET = "sirene_parquet"
PREFECTURE_CSV = "prefecture_csv"

KIND_LABELS = {
    SIRENE_CSV: "stock Sirene (CSV)",
    SIRENE_PARQUET: "stock Sirene (Parquet)",
    PREFECTURE_CSV: "fichier de préfecture (CSV)",
}

# Columns read from StockUniteLegale; the others (30-odd) are never loaded.
SIRENE_REQUIRED = ("siren", "categorieJuridiqueUniteLegale", "trancheEffectifsUniteLegale",
                   "anneeEffectifsUniteLegale")
PREFECTURE_REQUIRED = ("siren", "agents", "annee", "source")

HEAD_BYTES = 1 << 16
ENCODING_NOTE = ("le fichier n'est pas en UTF-8 : il a été lu en Windows-1252 (CSV enregistré "
                 "par Excel) ; vérifiez les accents de la colonne source")


@dataclass(frozen=True)
class FileFormat:
    kind: str
    path: Path
    columns: tuple[str, ...]            # as written in the file
    delimiter: str | None = None        # CSV only
    encoding: str | None = None         # CSV only: utf-8 (BOM stripped) or cp1252
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def column_key(name: str) -> str:
    """Header cell -> comparison key: no accents, no case, no spaces ("Année " -> "annee")."""
    return fold(name.strip().lstrip("\ufeff")).replace(" ", "")


def column_map(columns: tuple[str, ...] | list[str], required: tuple[str, ...]) -> dict[str, str]:
    """Required name -> the file's own spelling of it (missing ones are left out)."""
    by_key = {column_key(c): c for c in columns}
    return {r: by_key[column_key(r)] for r in required if column_key(r) in by_key}


def _head_text(path: Path) -> tuple[str, str]:
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    # Cut at the last full line so that a multi-byte character is never split.
    if len(head) == HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n")]
    return decode_lenient(head)


def _parquet_columns(path: Path) -> tuple[str, ...]:
    con = duckdb.connect()
    try:
        rows = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as exc:
        raise InputError(path.name, f"fichier Parquet illisible ({exc})") from exc
    finally:
        con.close()
    return tuple(r[0] for r in rows)


def _missing(file: str, label: str, found: tuple[str, ...], required: tuple[str, ...],
             line: int | None) -> InputError:
    have = column_map(found, required)
    missing = [r for r in required if r not in have]
    errors = [LineError(line, "colonnes trouvées : " + ", ".join(found))] if line else []
    return InputError(file, f"{label} : colonne(s) manquante(s) : {', '.join(missing)} "
                            f"(attendues : {', '.join(required)})", errors)


def detect(path: str | Path) -> FileFormat:
    """Tell the format of an agent file, or raise ``InputError`` saying what is wrong."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError(str(path), "fichier introuvable")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1":
        columns = _parquet_columns(path)
        fmt = FileFormat(SIRENE_PARQUET, path, columns)
        if len(column_map(columns, SIRENE_REQUIRED)) < len(SIRENE_REQUIRED):
            raise _missing(name, fmt.label, columns, SIRENE_REQUIRED, None)
        return fmt
    if magic.startswith(b"PK"):
        raise InputError(name, "classeur Excel (xlsx) : enregistrez-le au format CSV "
                               "(séparateur point-virgule, UTF-8) puis recommencez")
    text, encoding = _head_text(path)
    header = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not header.strip(" ;,\t\r\n"):
        raise InputError(name, "fichier vide : une ligne d'en-tête et au moins une ligne de "
                               "données sont attendues")
    delimiter = sniff_delimiter(header)
    columns = tuple(c.strip().strip('"') for c in header.split(delimiter))
    keys = {column_key(c) for c in columns}
    notes = (ENCODING_NOTE,) if encoding == CP1252 else ()
    if "agents" in keys or not any(k.endswith("unitelegale") for k in keys):
        kind, required = PREFECTURE_CSV, PREFECTURE_REQUIRED
    else:
        kind, required = SIRENE_CSV, SIRENE_REQUIRED
    fmt = FileFormat(kind, path, columns, delimiter, encoding, notes)
    if len(column_map(columns, required)) < len(required):
        raise _missing(name, fmt.label, columns, required, 1)
    return fmt
