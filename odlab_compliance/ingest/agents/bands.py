"""INSEE staff bands (tranches d'effectifs salariés) and their bounds.

Source: Sirene variable ``trancheEffectifsUniteLegale`` (INSEE nomenclature of the
tranches d'effectifs salariés; listed in docs/agents.md). ``NN`` and a missing band mean *unknown*, never zero: both give no bounds.
The top band (10,000 and more) has no upper bound.
"""

from __future__ import annotations

# code -> (min, max); max None = unbounded. "NN" is absent on purpose: it has no bounds.
BANDS: dict[str, tuple[int, int | None]] = {
    "00": (0, 0),
    "01": (1, 2),
    "02": (3, 5),
    "03": (6, 9),
    "11": (10, 19),
    "12": (20, 49),
    "21": (50, 99),
    "22": (100, 199),
    "31": (200, 249),
    "32": (250, 499),
    "41": (500, 999),
    "42": (1000, 1999),
    "51": (2000, 4999),
    "52": (5000, 9999),
    "53": (10000, None),
}
UNKNOWN = "NN"
KNOWN_CODES = frozenset(BANDS) | {UNKNOWN}


def normalize_band(raw: object) -> str | None:
    """The band code as INSEE writes it, or None when the cell is empty.

    Returns the stripped text unchanged otherwise (callers check it with ``is_band``), so
    that a wrong code such as "1" (a "01" whose leading zero a spreadsheet removed) is
    reported as such instead of being guessed.
    """
    if raw is None:
        return None
    text = str(raw).strip().upper()
    if text in ("", "NAN", "NONE", "<NA>", "NULL"):
        return None
    return text


def is_band(code: str | None) -> bool:
    """True for a known code, NN included, and for an empty band (unknown)."""
    return code is None or code in KNOWN_CODES


def band_bounds(code: str | None) -> tuple[int | None, int | None]:
    """(agents_min, agents_max) of a band; (None, None) when unknown (NN, empty, top max)."""
    if code is None or code not in BANDS:
        return None, None
    return BANDS[code]
