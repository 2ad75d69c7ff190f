"""Row checks shared by the file loaders: SIREN, duplicates, year, staff count.

Each check returns a French sentence (or None) for one cell; ``problems`` applies them
to a DataFrame and returns the bad rows as ``(row label, message)`` so that each loader
can turn its row labels into the line numbers a user sees.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable

import pandas as pd

from odlab_compliance.identifiers import siren_problem

MIN_YEAR = 1990          # Sirene bands exist since the 1990s; older is a typing error
MAX_AGENTS = 500_000     # more than any French employer: surely a typing error
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
_SPACES = str.maketrans("", "", " \u00a0\u202f")


def _text(raw: object) -> str:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw is pd.NA:
        return ""
    return str(raw).strip()


def year_problem(raw: object, required: bool = True) -> str | None:
    """Why ``raw`` is not a plausible year (1990 to this year), or None."""
    text = _text(raw)
    if not text:
        return "année manquante" if required else None
    if not text.isdigit():
        return f"année « {text} » : 4 chiffres attendus (ex. 2024)"
    year = int(text)
    last = dt.date.today().year
    if not MIN_YEAR <= year <= last:
        return f"année {year} invraisemblable (attendue entre {MIN_YEAR} et {last})"
    return None


def parse_agents(raw: object) -> float | None:
    """A staff count as people write it ("1 250", "52,5"), or None when unreadable."""
    text = _text(raw).translate(_SPACES).replace(",", ".")
    return float(text) if _NUMBER_RE.fullmatch(text) else None


def agents_problem(raw: object) -> str | None:
    """Why ``raw`` is not a usable staff count, or None."""
    text = _text(raw)
    if not text:
        return "nombre d'agents manquant"
    if text.translate(_SPACES).startswith("-"):
        return f"nombre d'agents négatif ({text})"
    value = parse_agents(text)
    if value is None:
        return f"nombre d'agents « {text} » : un nombre est attendu (ex. 120)"
    if value > MAX_AGENTS:
        return f"nombre d'agents {text} invraisemblable"
    return None


def problems(df: pd.DataFrame, column: str,
             check: Callable[[object], str | None]) -> list[tuple[object, str]]:
    """(row label, message) for every row whose ``column`` fails ``check``."""
    out = []
    for label, value in df[column].items():
        msg = check(value)
        if msg:
            out.append((label, msg))
    return out


def siren_problems(df: pd.DataFrame, column: str = "siren") -> list[tuple[object, str]]:
    return problems(df, column, siren_problem)


def duplicate_problems(df: pd.DataFrame, line_of: Callable[[object], int],
                       column: str = "siren") -> list[tuple[object, str]]:
    """Every row after the first of a repeated SIREN, naming the lines that share it."""
    out = []
    repeated = df[df[column].duplicated(keep=False)]
    for siren, group in repeated.groupby(column, sort=False):
        lines = [line_of(label) for label in group.index]
        listed = ", ".join(str(n) for n in lines)
        for label in group.index[1:]:
            out.append((label, f"SIREN {siren} en double (lignes {listed})"))
    return out
