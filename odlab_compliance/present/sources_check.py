"""The French table of ``sources check`` (command line, first-run and Méthode pages)."""

from __future__ import annotations

import pandas as pd

from odlab_compliance.fmt import date_fr, nombre
from odlab_compliance.ingest.source_check import Check

COLUMNS = ["Source", "Identifiant", "Millésime", "Requise", "Lue depuis", "Répond",
           "Format attendu", "Taille", "Date", "Adresse", "Trouvée par", "Problème",
           "Remarque", "À faire"]


def _size(n: int | None) -> str:
    if n is None:
        return ""
    if n >= 1 << 20:
        return f"{nombre(n / (1 << 20), 1)} Mo"
    return f"{nombre(max(1, round(n / 1024)))} Ko"


def _millesime(c: Check) -> str:
    s = c.source
    return (f"{s.vintage} (populations {s.millesime})" if s.millesime else str(s.vintage))


def _format(c: Check) -> str:
    if c.format_ok is None:
        return "non vérifié"
    return "oui" if c.format_ok else "non"


def table(checks: list[Check]) -> pd.DataFrame:
    """One row per source, every cell French text (no code, no None)."""
    rows = []
    for c in checks:
        rows.append({
            "Source": c.source.title, "Identifiant": c.source.id, "Millésime": _millesime(c),
            "Requise": "oui" if c.source.required else "non (facultative)",
            "Lue depuis": c.origin, "Répond": "oui" if c.answers else "non",
            "Format attendu": _format(c), "Taille": _size(c.size),
            "Date": date_fr(c.date) if c.date else "", "Adresse": c.url,
            "Trouvée par": c.found_by, "Problème": c.problem, "Remarque": c.fallback,
            "À faire": c.advice.strip(),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _names(checks: list[Check], by_title: bool) -> str:
    if by_title:
        return ", ".join(f"« {c.source.title} » ({c.source.vintage})" for c in checks)
    return ", ".join(f"{c.source.id} {c.source.vintage}" for c in checks)


def summary(checks: list[Check], by_title: bool = False) -> str:
    """One French paragraph; sources named by identifier (command line) or by title
    (pages: no code on screen)."""
    failed = [c for c in checks if c.failed]
    optional = [c for c in checks if not c.failed and (not c.answers or c.format_ok is False)]
    fallbacks = [c for c in checks if c.fallback]
    parts = [f"{nombre(sum(1 for c in checks if c.answers and c.format_ok is not False))} "
             f"source(s) sur {nombre(len(checks))} répondent au format attendu."]
    if failed:
        parts.append(f"{nombre(len(failed))} source(s) requise(s) absente(s) ou au format "
                     f"changé : {_names(failed, by_title)} — le référentiel ne peut pas être "
                     "reconstruit tel quel.")
    if optional:
        parts.append(f"{nombre(len(optional))} source(s) facultative(s) indisponible(s) : "
                     + _names(optional, by_title) + " (le projet fait sans, en le disant).")
    if fallbacks:
        parts.append(f"{nombre(len(fallbacks))} source(s) lue(s) ailleurs qu'à leur adresse "
                     "principale (copie de secours ou édition voisine) : "
                     + _names(fallbacks, by_title) + ".")
    return " ".join(parts)


def state(row: dict[str, str]) -> str:
    """One word for a row of ``table``: OK, FACULTATIVE ABSENTE or PROBLÈME."""
    if row["Répond"] == "oui" and row["Format attendu"] != "non":
        return "OK"
    return "FACULTATIVE ABSENTE" if row["Requise"] != "oui" and row["Répond"] == "non" \
        else "PROBLÈME"
