"""Text files typed by people (prefecture agent counts, follow-up sheets): UTF-8 only.

A CSV that Excel saved as Windows-1252/Latin-1 is refused with the lines that carry the
foreign bytes, instead of being guessed: a wrong guess would store garbled names (or
SIRENs from a mis-split line) that nobody sees until a mail merge goes out.
"""

from __future__ import annotations

import codecs

from odlab_compliance.errors import InputError, LineError

NOT_UTF8 = ("le fichier n'est pas en UTF-8 (sans doute Latin-1 / Windows-1252, enregistré "
            "par Excel) : dans Excel, « Enregistrer sous » > « CSV UTF-8 (délimité par des "
            "points-virgules) », puis importez-le à nouveau")


def non_utf8_lines(data: bytes) -> list[int]:
    """1-based numbers of the lines that are not valid UTF-8."""
    bad = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    return bad


def utf8_text(data: bytes, name: str) -> str:
    """The text of ``data`` (UTF-8, BOM dropped), or ``InputError`` naming the bad lines."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(name, NOT_UTF8, [LineError(n, "caractères non UTF-8 (accents "
                                                       "Latin-1 ?)") for n in non_utf8_lines(data)]) from None
