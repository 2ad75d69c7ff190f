"""Bodies that are not collectivités: State services, SDIS, syndicats, CCAS, agencies,
associations, operators.

Recognised two ways, both kept as data in ``reference/``:

- by name: ``organismes.csv`` (``motif``: a normalised phrase; ``position``: ``debut``
  when it must open the name, as for acronyms like « SM » or « SDE », ``partout``
  otherwise; ``categorie``: a code of ``vocab.ORGANISME``), plus the State publishers of
  ``state_publishers.csv`` (INSEE, IGN, ministries…);
- by legal category: ``categories_juridiques.csv`` (INSEE's catégorie juridique of the
  declared SIREN, when a Sirene import or the Recherche d'entreprises API gave it).

A name that IS a collectivité's name ("Bus", "Hôpital-Camfrout", "Arnac-la-Poste") is
not a body: the matcher checks that before asking here.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache

from odlab_compliance import vocab
from odlab_compliance.config import PROJECT_ROOT
from odlab_compliance.ingest.matching.names import normalize_name

ORGANISMES_PATH = PROJECT_ROOT / "reference" / "organismes.csv"
STATE_PATH = PROJECT_ROOT / "reference" / "state_publishers.csv"
CATEGORIES_PATH = PROJECT_ROOT / "reference" / "categories_juridiques.csv"
COLLECTIVITE = "collectivite"   # categorie of the legal categories of collectivités
_STATE_CATEGORIES = {"etat": vocab.ORG_ETAT, "operateur": vocab.ORG_OPERATEUR,
                     "autre": vocab.ORG_AUTRE}


@dataclass(frozen=True)
class Body:
    categorie: str      # vocab.ORGANISME code
    motif: str          # what recognised it: the phrase, or "catégorie juridique 7372"


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    out: list[tuple[re.Pattern[str], str, str]] = []
    with open(ORGANISMES_PATH, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            motif = normalize_name(r["motif"])
            if not motif:
                continue
            if r["categorie"] not in vocab.ORGANISME:
                raise ValueError(f"{ORGANISMES_PATH.name} : catégorie « {r['categorie']} » "
                                 f"inconnue (attendu : {', '.join(vocab.ORGANISME)})")
            start = "^" if r["position"].strip() == "debut" else r"(?:^| )"
            out.append((re.compile(rf"{start}{re.escape(motif)}(?: |$)"), r["categorie"], motif))
    with open(STATE_PATH, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            motif = normalize_name(r["motif"])
            if motif:
                out.append((re.compile(rf"(?:^| ){re.escape(motif)}(?: |$)"),
                            _STATE_CATEGORIES.get(r["categorie"], vocab.ORG_AUTRE), motif))
    # Longest phrases first: « syndicat mixte » says more than « syndicat ».
    out.sort(key=lambda p: -len(p[2]))
    return tuple(out)


@cache
def legal_categories() -> dict[str, tuple[str, str]]:
    """INSEE legal category code -> (label, categorie: ``collectivite`` or an ORGANISME
    code)."""
    with open(CATEGORIES_PATH, encoding="utf-8") as fh:
        rows = {r["code"].strip(): (r["libelle"].strip(), r["categorie"].strip())
                for r in csv.DictReader(fh)}
    bad = {c for _, c in rows.values()} - {COLLECTIVITE, *vocab.ORGANISME}
    if bad:
        raise ValueError(f"{CATEGORIES_PATH.name} : catégorie(s) inconnue(s) {sorted(bad)}")
    return rows


def body_by_name(name: object) -> Body | None:
    """The kind of body a name designates, when it is not a collectivité's name."""
    text = normalize_name(name)
    if not text:
        return None
    for pattern, categorie, motif in _patterns():
        if pattern.search(text):
            return Body(categorie, motif)
    return None


def body_by_legal_category(code: object) -> Body | None:
    """The kind of body of an INSEE legal category; None for a collectivité or an unknown
    code."""
    if code is None:
        return None
    known = legal_categories().get(str(code).strip())
    if known is None or known[1] == COLLECTIVITE:
        return None
    return Body(known[1], f"catégorie juridique {str(code).strip()} ({known[0]})")
