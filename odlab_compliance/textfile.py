"""Reading CSV text: encodings and delimiters.

Files typed by people (prefecture agent counts, follow-up sheets) must be UTF-8: a CSV that
Excel saved as Windows-1252/Latin-1 is refused with the lines that carry the foreign bytes,
instead of being guessed: a wrong guess would store garbled names (or SIRENs from a
mis-split line) that nobody sees until a mail merge goes out. Machine-made files whose
useful columns are codes and digits (Sirene stock, SIREN table) are read leniently.
"""

from __future__ import annotations

from odlab_compliance.errors import InputError, LineError

NOT_UTF8 = ("le fichier n'est pas en UTF-8 (sans doute Latin-1 / Windows-1252, enregistré "
            "par Excel) : dans Excel, « Enregistrer sous » > « CSV UTF-8 (délimité par des "
            "points-virgules) », puis importez-le à nouveau")


UTF8 = "utf-8"
CP1252 = "cp1252"


def decode_lenient(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM dropped) when valid, else Windows-1252."""
    try:
        return data.decode("utf-8-sig"), UTF8
    except UnicodeDecodeError:
        return data.decode(CP1252, errors="replace"), CP1252


def sniff_delimiter(header: str) -> str:
    """``;`` or ``,`` (or a tab): the one the header line uses most (``;`` on a tie)."""
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


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
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(name, NOT_UTF8, [LineError(n, "caractères non UTF-8 (accents "
                                                       "Latin-1 ?)") for n in non_utf8_lines(data)]) from None
