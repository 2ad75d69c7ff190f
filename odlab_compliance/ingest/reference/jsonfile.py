"""Reading the JSON reference files with errors a user can act on (file, line, column)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from odlab_compliance.errors import InputError, LineError


def is_gzip(path: Path) -> bool:
    """By content, not name: the download cache names files after the mirror's
    (uncompressed) file even when the official URL serves ``.geojson.gz``."""
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_text(path: Path) -> str:
    """Text of a UTF-8 file, gunzipped when it is gzip-compressed."""
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    except UnicodeDecodeError as exc:
        raise InputError(str(path), "le fichier n'est pas encodé en UTF-8",
                         [LineError(1, f"octet invalide à la position {exc.start}")]) from exc
    except (OSError, EOFError) as exc:
        raise InputError(str(path), f"lecture impossible ({exc})") from exc


def load_json(path: Path, expect: type = list) -> Any:
    """Parse a JSON file; malformed JSON gives an ``InputError`` naming line and column."""
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(str(path), "JSON invalide",
                         [LineError(exc.lineno, f"colonne {exc.colno} : {exc.msg}")]) from exc
    if not isinstance(data, expect):
        kind = "une liste" if expect is list else "un objet"
        raise InputError(str(path), f"{kind} JSON est attendu au premier niveau")
    return data


def entry_lines(path: Path) -> list[int]:
    """1-based line where each element of the top-level JSON array starts.

    Only called on the error path: the happy path uses the fast ``json.loads``, and this
    second pass gives the line numbers that error messages need.
    """
    text = read_text(path)
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    lines: list[int] = []
    line = 1 + text.count("\n", 0, pos)
    last = pos
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= n or text[pos] == "]":
            return lines
        line += text.count("\n", last, pos)
        last = pos
        lines.append(line)
        _, pos = decoder.raw_decode(text, pos)
