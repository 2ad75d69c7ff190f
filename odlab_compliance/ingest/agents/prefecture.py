"""A prefecture's own staff counts: a small CSV ``siren;agents;annee;source``.

An exact count overrides the Sirene bands (see ``db/sql/agents_effectifs.sql``): it is
stored with ``agents_min = agents_max`` and no band. A count in full-time equivalents
with decimals ("52,5") is accepted and rounded down, since the legal test is "at least
50": 49,9 ETP must stay below 50. Blank lines (Excel's trailing ``;;;``) are skipped.
"""

from __future__ import annotations

import csv
import io
import math

import pandas as pd

from odlab_compliance.errors import InputError, LineError
from odlab_compliance.fmt import nombre
from odlab_compliance.ingest.agents.detect import PREFECTURE_REQUIRED, FileFormat, column_map
from odlab_compliance.ingest.agents.store import ROW_COLUMNS
from odlab_compliance.ingest.agents.validate import (
    agents_problem,
    duplicate_problems,
    parse_agents,
    problems,
    siren_problems,
    year_problem,
)
from odlab_compliance.textfile import utf8_text

SOURCE = "prefecture"


def read_rows(text: str, delimiter: str) -> pd.DataFrame:
    """The data rows of the CSV as text, indexed by their line number (header = 1)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None) or []
    cmap = column_map([h.strip() for h in header], PREFECTURE_REQUIRED)
    pos = {name: [h.strip() for h in header].index(col) for name, col in cmap.items()}
    records, lines = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        records.append({name: (row[i].strip() if i < len(row) else "") for name, i in pos.items()})
        lines.append(reader.line_num)
    return pd.DataFrame(records, index=pd.Index(lines, name="line"),
                        columns=list(PREFECTURE_REQUIRED), dtype="object")


def to_agent_rows(raw: pd.DataFrame, file_name: str) -> pd.DataFrame:
    """Validated text rows -> rows of the ``agents`` table (exact counts, no band)."""
    counts = [math.floor(parse_agents(v)) for v in raw["agents"]]
    details = [f"{file_name} : {s}" if s else file_name for s in raw["source"]]
    return pd.DataFrame({
        "siren": raw["siren"].astype(str).to_list(),
        "tranche": [None] * len(raw),
        "agents_min": counts,
        "agents_max": counts,
        "annee": [int(v) for v in raw["annee"]],
        "source_detail": details,
    }, columns=ROW_COLUMNS)


def parse_prefecture(fmt: FileFormat) -> pd.DataFrame:
    """Read and check a prefecture CSV; raise ``InputError`` listing every bad line."""
    name = fmt.path.name
    text = utf8_text(fmt.path.read_bytes(), name)
    raw = read_rows(text, fmt.delimiter or ";")
    if raw.empty:
        raise InputError(name, "aucune ligne de données sous l'en-tête")
    bad_sirens = siren_problems(raw)
    # A duplicate is only reported between SIRENs that are valid (else it is noise).
    valid = raw.drop(index=[label for label, _ in bad_sirens])
    found = (bad_sirens + problems(raw, "agents", agents_problem)
             + problems(raw, "annee", year_problem) + duplicate_problems(valid, line_of=int))
    if found:
        errors = sorted((LineError(int(label), msg) for label, msg in found),
                        key=lambda e: e.line)
        raise InputError(name, f"{nombre(len(errors))} erreur(s) : fichier refusé", errors)
    return to_agent_rows(raw, name)

