"""Parsers of Etalab's "découpage administratif" files (COG): JSON in, DataFrames out.

Each parser takes the parsed JSON and the path it came from (for error messages) and
returns plain DataFrames; nothing here knows about the database. Commune codes must be
strings: a number means the file went through a tool that dropped the leading zero, and
the whole file is refused with the entries named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from odlab_compliance.errors import InputError, LineError
from odlab_compliance.identifiers import commune_code_problem
from odlab_compliance.ingest.reference.jsonfile import entry_lines

CURRENT = "commune-actuelle"

COMMUNE_COLUMNS = ["code", "nom", "siren", "departement", "region", "zone",
                   "population_municipale"]
GROUP_COLUMNS = ["code", "nom", "type_source", "population_totale", "population_municipale"]
MEMBER_COLUMNS = ["groupe", "code", "siren", "nom", "population_totale",
                  "population_municipale"]
TERRITOIRE_COLUMNS = ["niveau", "code", "nom", "region", "zone", "chef_lieu"]


def _fail(path: Path, summary: str, problems: list[tuple[int, str]]) -> None:
    """Raise an InputError pointing each problem (entry index, message) at its line."""
    if not problems:
        return
    try:
        lines = entry_lines(path)
    except (ValueError, OSError):  # not a plain array on disk: fall back to entry numbers
        lines = []
    errors = [LineError(lines[i] if i < len(lines) else i + 2, f"entrée n° {i + 1} : {msg}")
              for i, msg in problems]
    raise InputError(str(path), summary, errors)


def _text(entry: dict, key: str) -> str | None:
    value = entry.get(key)
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _check_entries(data: list, path: Path, required: tuple[str, ...]) -> list[tuple[int, str]]:
    problems = []
    for i, entry in enumerate(data):
        if not isinstance(entry, dict):
            problems.append((i, "un objet JSON est attendu"))
            continue
        missing = [k for k in required if entry.get(k) in (None, "")]
        if missing:
            problems.append((i, f"champ(s) manquant(s) : {', '.join(missing)}"))
    return problems


def parse_communes(data: list, path: Path) -> pd.DataFrame:
    """Current communes (``type == "commune-actuelle"``), every zone; one row per code.

    Communes déléguées/associées and arrondissements municipaux are not collectivités
    (they share their commune's SIREN) and are dropped.
    """
    problems = _check_entries(data, path, ("code", "nom", "type"))
    if not problems:
        for i, entry in enumerate(data):
            why = commune_code_problem(entry["code"])
            if why:
                problems.append((i, why))
    _fail(path, "fichier des communes inutilisable", problems)
    rows = [
        (e["code"], e["nom"], _text(e, "siren"), _text(e, "departement"), _text(e, "region"),
         _text(e, "zone"), _int(e.get("population")))
        for e in data if e["type"] == CURRENT
    ]
    df = pd.DataFrame(rows, columns=COMMUNE_COLUMNS)
    dup = df["code"][df["code"].duplicated()]
    if len(dup):
        idx = [i for i, e in enumerate(data) if e["type"] == CURRENT and e["code"] in set(dup)]
        _fail(path, "codes de communes en double",
              [(i, f"code {data[i]['code']} déjà présent") for i in idx])
    return df.astype({"population_municipale": "Int64"})


def parse_former_codes(data: list) -> pd.DataFrame:
    """(ancien_code, code): former codes of merged communes, to re-key older outlines."""
    rows = [(old, e["code"]) for e in data if e.get("type") == CURRENT
            for old in e.get("anciensCodes") or [] if old != e["code"]]
    return pd.DataFrame(rows, columns=["ancien_code", "code"]).drop_duplicates("ancien_code")


FORMER_COLUMNS = ["code", "nom", "nature", "commune"]
# COG entry type -> nature stored in ref_commune_ancienne
_FORMER_TYPES = {"commune-deleguee": "deleguee", "commune-associee": "associee"}


def parse_former_communes(data: list) -> pd.DataFrame:
    """Communes déléguées and associées (name, the current commune: ``chefLieu``) and the
    former codes of merged communes (``anciensCodes``): one row per (code, nature)."""
    rows = [(e["code"], e.get("nom"), _FORMER_TYPES[e["type"]], e["chefLieu"])
            for e in data if isinstance(e, dict) and e.get("type") in _FORMER_TYPES
            and e.get("chefLieu")]
    rows += [(old, None, "ancien_code", e["code"]) for e in data
             if isinstance(e, dict) and e.get("type") == CURRENT
             for old in e.get("anciensCodes") or [] if old != e["code"]]
    return pd.DataFrame(rows, columns=FORMER_COLUMNS).drop_duplicates(["code", "nature"])


def parse_groups(data: list, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EPCI or EPT file -> (groups, members). A group's ``code`` is its SIREN."""
    problems = _check_entries(data, path, ("code", "nom", "type"))
    if not problems:
        for i, entry in enumerate(data):
            if not isinstance(entry["code"], str):
                problems.append((i, f"SIREN {entry['code']!r} enregistré comme un nombre"))
            members = entry.get("membres")
            if not isinstance(members, list):
                problems.append((i, "liste « membres » absente"))
                continue
            for j, m in enumerate(members, start=1):
                why = commune_code_problem(m.get("code") if isinstance(m, dict) else m)
                if why:
                    problems.append((i, f"membre n° {j} : {why}"))
    _fail(path, "fichier des groupements inutilisable", problems)
    groups = pd.DataFrame(
        [(e["code"], e["nom"], e["type"], _int(e.get("populationTotale")),
          _int(e.get("populationMunicipale"))) for e in data],
        columns=GROUP_COLUMNS,
    ).astype({"population_totale": "Int64", "population_municipale": "Int64"})
    members = pd.DataFrame(
        [(e["code"], m["code"], _text(m, "siren"), m.get("nom"),
          _int(m.get("populationTotale")), _int(m.get("populationMunicipale")))
         for e in data for m in e["membres"]],
        columns=MEMBER_COLUMNS,
    ).astype({"population_totale": "Int64", "population_municipale": "Int64"})
    return groups, members


def parse_territoires(departements: list, dep_path: Path,
                      regions: list, reg_path: Path) -> pd.DataFrame:
    """Geographic départements and régions (every zone), for selection and aggregation."""
    for data, path, what in ((departements, dep_path, "départements"),
                             (regions, reg_path, "régions")):
        problems = _check_entries(data, path, ("code", "nom"))
        problems += [(i, f"code {e['code']!r} enregistré comme un nombre : texte attendu")
                     for i, e in enumerate(data)
                     if not problems and not isinstance(e["code"], str)]
        _fail(path, f"fichier des {what} inutilisable", problems)
    rows = [("REG", e["code"], e["nom"], None, _text(e, "zone"), _text(e, "chefLieu"))
            for e in regions]
    rows += [("DEP", e["code"], e["nom"], _text(e, "region"), _text(e, "zone"),
              _text(e, "chefLieu")) for e in departements]
    return pd.DataFrame(rows, columns=TERRITOIRE_COLUMNS)
