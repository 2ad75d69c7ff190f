"""The SIREN of départements, régions and collectivités à statut particulier, from Sirene.

No official file lists them; Sirene files each one under a nature juridique (7220
département, 7230 région, 7225 collectivité d'outre-mer, 7229 other collectivité
territoriale: Corse, Martinique, Guyane, Collectivité européenne d'Alsace, Métropole de
Lyon, Ville de Paris). The API Recherche d'entreprises lists the active units of those
natures (about 130, six pages of 25); each is tied to a territory by its head office:

- 7220: the département of its head office; 7230: the région of its head office;
- 7225/7229: the département of its head office when no active 7220 unit has its head
  office there (the Métropole de Lyon, whose head office is in the Rhône, is not the
  Rhône's département; the Collectivité de Corse is Corse-du-Sud's), and likewise the
  région when no active 7230 unit is there (Corse, Martinique, Guyane); overseas, a
  région without a région unit is its one département's (Mayotte).

Two active units for one territory: the one named like the collectivité (« DEPARTEMENT… »,
« REGION… », « COLLECTIVITE… ») is kept, then the smallest SIREN, and the load says so
(``reference/build`` warns on shared or stray rows). The table has the columns of the
mirror's file, so one parser reads both.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from odlab_compliance.config import Settings
from odlab_compliance.http import RateLimiter
from odlab_compliance.ingest.registry import NotLocated

COLUMNS = ["niveau", "code_insee", "nom_cog", "siret_siege", "siren", "libelle_sirene_source"]
OWN_NAMES = ("DEPARTEMENT", "REGION", "COLLECTIVITE", "CONSEIL")
MONO_DEPARTEMENT_REGIONS = {"01", "02", "03", "04", "06"}   # the five DROM


def list_units(natures: Sequence[str], settings: Settings) -> list[dict[str, Any]]:
    """Every active unit of ``natures``, page after page (raises ``RuntimeError``)."""
    from odlab_compliance.ingest.agents import recherche_entreprises as api

    client = api.Client(settings, None, RateLimiter(api.RATE_PER_SECOND * 0.9))
    params = {"nature_juridique": ",".join(natures), "etat_administratif": "A",
              "per_page": api.PER_PAGE}
    units: list[dict[str, Any]] = []
    page, total = 1, 1
    while page <= total:
        raw = client.search({**params, "page": page})
        total = int(raw.get("total_pages") or 0)
        units += raw["results"]
        page += 1
    return units


def _unit(r: dict[str, Any]) -> dict[str, str]:
    seat = r.get("siege") or {}
    return {"siren": str(r.get("siren") or "").strip(),
            "nature": str(r.get("nature_juridique") or ""),
            "siret": str(seat.get("siret") or ""),
            "dep": str(seat.get("departement") or "").upper(),
            "reg": str(seat.get("region") or ""),
            "nom": str(r.get("nom_complet") or r.get("nom_raison_sociale") or "").strip()}


def _rank(u: dict[str, str]) -> tuple[bool, str]:
    return (not u["nom"].upper().startswith(OWN_NAMES), u["siren"])


def table_rows(results: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Rows (``COLUMNS``) of the units, tied to territories by the rule above (pure)."""
    units = sorted((_unit(r) for r in results if str(r.get("siren") or "").strip()),
                   key=_rank)
    deps_own = {u["dep"] for u in units if u["nature"] == "7220" and u["dep"]}
    regs_own = {u["reg"] for u in units if u["nature"] == "7230" and u["reg"]}
    chosen: dict[tuple[str, str], dict[str, str]] = {}
    for u in units:
        if u["nature"] == "7220" and u["dep"]:
            chosen.setdefault(("departement", u["dep"]), u)
        elif u["nature"] == "7230" and u["reg"]:
            chosen.setdefault(("region", u["reg"]), u)
        elif u["dep"] and u["dep"] not in deps_own:
            chosen.setdefault(("departement", u["dep"]), u)
    # A région without a région unit is governed by a collectivité unique (Corse,
    # Martinique, Guyane: 7229) or, overseas, by its one département (Mayotte); never by
    # a mainland département whose région unit the listing happened to miss.
    governing = {}
    for (niveau, _), u in chosen.items():
        if niveau == "departement" and u["reg"] and u["reg"] not in regs_own and \
                (u["nature"] != "7220" or u["reg"] in MONO_DEPARTEMENT_REGIONS):
            governing.setdefault(u["reg"], set()).add(u["siren"])
    by_siren = {u["siren"]: u for u in units}
    for reg, sirens in governing.items():
        if len(sirens) == 1:
            chosen.setdefault(("region", reg), by_siren[next(iter(sirens))])
    return [{"niveau": niveau, "code_insee": code, "nom_cog": "", "siret_siege": u["siret"],
             "siren": u["siren"], "libelle_sirene_source": u["nom"]}
            for (niveau, code), u in sorted(chosen.items())]


def table_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def write_table(natures: Sequence[str], settings: Settings, target: Path) -> tuple[int, str]:
    """List, tie and write the table to ``target`` atomically; (size, sha256).

    A failed page raises ``RuntimeError``: a partial table would look complete."""
    try:
        data = table_csv(table_rows(list_units(natures, settings)))
    except RuntimeError as exc:
        raise NotLocated(f"API Recherche d'entreprises : {exc}") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return len(data), hashlib.sha256(data).hexdigest()
