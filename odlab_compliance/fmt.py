"""French formatting of figures for the text a user reads (motifs, pages, e-mails).

Conventions (Imprimerie nationale, what a mayor expects): thousands grouped with a narrow
no-break space (U+202F, so "12 345" never breaks across two lines), decimal comma,
dates dd/mm/yyyy, a no-break space before "%". Missing values give an empty string or a
caller-chosen placeholder, never "nan" or "None".
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

NNBSP = "\u202f"   # narrow no-break space: thousands separator, before ";:!?%"
NBSP = "\u00a0"    # no-break space


def fold(text: str) -> str:
    """Lower case without accents, for comparing what people type ("Année " ~ "annee")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT and pandas' NA (all the ways a cell can be empty)."""
    # Fast paths first: motifs call this hundreds of thousands of times per export.
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str | int):
        return False
    if isinstance(value, float):
        return value != value
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a scalar, so not "missing"
        return False


def nombre(value: object, decimales: int = 0, vide: str = "") -> str:
    """``12345`` -> "12 345", ``1234.5`` with 1 decimal -> "1 234,5".

    Rounds half away from zero (as people round by hand, not banker's rounding).
    """
    if is_missing(value):
        return vide
    if decimales == 0 and isinstance(value, int):   # the common case: counts of people
        text = f"{value:,}"
    else:
        number = Decimal(str(value))
        if not number.is_finite():
            return vide
        number = number.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)
        if number.is_zero():
            number = abs(number)   # « 0 », never « -0 » for a tiny negative value
        text = f"{number:,.{decimales}f}"
    # Python groups with "," and separates decimals with ".": swap to French.
    return text.replace(",", NNBSP).replace(".", ",")


def pourcentage(value: object, decimales: int = 0, vide: str = "") -> str:
    """A ratio (0.163) -> "16 %" (narrow no-break space before the sign)."""
    if is_missing(value) or (isinstance(value, float) and math.isinf(value)):
        return vide
    return f"{nombre(float(value) * 100, decimales)}{NNBSP}%"


def date_fr(value: object, vide: str = "") -> str:
    """A date, datetime, pandas Timestamp or ISO string -> "dd/mm/yyyy"."""
    if is_missing(value):
        return vide
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    raise TypeError(f"date attendue, reçu {type(value).__name__}")


def date_heure_fr(value: object, vide: str = "") -> str:
    """A datetime -> "dd/mm/yyyy à HH:MM" (for "données du ...")."""
    if is_missing(value):
        return vide
    ts = pd.Timestamp(value)
    return f"{ts.strftime('%d/%m/%Y')} à {ts.strftime('%H:%M')}"
