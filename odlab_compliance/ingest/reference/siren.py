"""Parser of the SIREN table of départements and régions (compiled from Sirene).

Columns: ``niveau`` (departement | region), ``code_insee``, ``nom_cog``, ``siret_siege``,
``siren``, ``libelle_sirene_source``. Some rows are historical units or share a SIREN
(Corse, Martinique, Guyane, Mayotte, Ville de Paris): ``build`` decides what they mean.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from odlab_compliance.errors import InputError, LineError
from odlab_compliance.identifiers import siren_problem
from odlab_compliance.textfile import decode_lenient, sniff_delimiter

REQUIRED = ("niveau", "code_insee", "siren")
NIVEAUX = {"departement": "DEP", "region": "REG"}
COLUMNS = ["niveau", "code", "siren", "libelle"]


def parse_siren_table(path: Path) -> pd.DataFrame:
    """One row per line: niveau (DEP/REG), code, siren, libelle (Sirene name)."""
    # A CSV re-saved by Excel on Windows is cp1252: only codes and SIRENs matter here.
    text, _ = decode_lenient(path.read_bytes())
    first = text.splitlines()[0] if text else ""
    reader = csv.DictReader(io.StringIO(text), delimiter=sniff_delimiter(first))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(str(path), f"colonne(s) manquante(s) : {', '.join(missing)} "
                                    f"(colonnes attendues : {', '.join(REQUIRED)})",
                         [LineError(1, f"en-tête lu : {', '.join(reader.fieldnames or [])}")])
    rows, errors = [], []
    for line, rec in enumerate(reader, start=2):
        niveau = NIVEAUX.get((rec.get("niveau") or "").strip().lower())
        if niveau is None:
            errors.append(LineError(line, f"niveau « {rec.get('niveau')} » : "
                                          "« departement » ou « region » attendu"))
            continue
        why = siren_problem(rec.get("siren"))
        if why:
            errors.append(LineError(line, why))
            continue
        rows.append((niveau, (rec.get("code_insee") or "").strip(), rec["siren"].strip(),
                     (rec.get("libelle_sirene_source") or "").strip() or None))
    if errors:
        raise InputError(str(path), "table des SIREN inutilisable", errors)
    return pd.DataFrame(rows, columns=COLUMNS)
