"""Matching publishers to collectivités: precision and recall on the labelled set, names
that contain a département or région name, and the time to match 5,000 organisations.

Reads the offline mirror (``ODLAB_MIRROR_DIR``, default ../shared/data) through the
project's source registry: the reference of 2026 (with 2022 as its history) is built as
``reference update`` builds it, without outlines.

- the labelled set: tests/fixtures/matching/labelled_publishers.csv (names from the
  Observatoire editions, the platform list and variants; expected SIRENs from the COG,
  see build_labelled.py). A row is credited when a match counts (automatic, at the review
  threshold, without a review flag; no human decision);
- every collectivité of 2026 whose own name holds a département or région name, matched
  by that exact name alone (no SIRET): how many find themselves;
- 5,000 organisations written from real COG names as data.gouv.fr shows them (two in three
  with a SIRET; one in ten a body that is not a collectivité, one in ten with a typo),
  matched in one call, the reference prepared beforehand (its preparation is timed apart).

    python bench/bench_matching.py [--errors]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ODLAB_MIRROR_DIR", str(ROOT.parent / "shared" / "data"))
os.environ.setdefault("ODLAB_HOME", tempfile.mkdtemp(prefix="odlab-bench-matching-"))

import pandas as pd  # noqa: E402

from odlab_compliance import vocab  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from odlab_compliance.fmt import nombre, pourcentage  # noqa: E402
from odlab_compliance.identifiers import is_valid_siret  # noqa: E402
from odlab_compliance.ingest import matching  # noqa: E402
from odlab_compliance.ingest.matching.matcher import TOWN_MIN  # noqa: E402
from odlab_compliance.ingest.matching.names import normalize_name  # noqa: E402
from odlab_compliance.model import matching as read_time  # noqa: E402
from tests.fixtures.matching import labelled as L  # noqa: E402


def siret_of(siren: str) -> str:
    return next(f"{siren}{n:05d}" for n in range(10, 100000) if is_valid_siret(f"{siren}{n:05d}"))


def with_places(ref: matching.MatchReference) -> tuple[int, int, int]:
    """(names holding a département/région name, of which unique, of which found)."""
    places = set(ref.dep_names) | set(ref.reg_names)
    rows = []
    for r in ref.by_siren.values():
        norm = f" {normalize_name(r['nom'])} "
        if any(f" {p} " in norm for p in places) and norm.strip() not in places:
            rows.append(r)
    unique = [r for r in rows if len(ref.by_core.get(r["core"], [])) == 1]
    pubs = pd.DataFrame({"source": "datagouv", "publisher_id": [r["siren"] for r in unique],
                         "name": [r["nom"] for r in unique], "siret": None})
    got, _ = matching.match_all(pubs, ref)
    ok = got[read_time.counted(got) & (got["publisher_id"] == got["siren"])]
    return len(rows), len(unique), ok["publisher_id"].nunique()


def _population(row: dict) -> float:
    try:
        return float(row.get("population_totale"))
    except (TypeError, ValueError):
        return float("nan")


def synthetic(ref: matching.MatchReference, n: int, seed: int = 5) -> pd.DataFrame:
    """``n`` organisations as data.gouv.fr lists them (local-authority badge)."""
    rnd = random.Random(seed)
    rows = list(ref.by_siren.values())
    forms = ["Ville de {n}", "Mairie de {n}", "Commune de {n}", "{n}", "{N}",
             "Mairie de {n} (IRVE)", "{n} - Open data"]
    bodies = ["CCAS de {n}", "Office de tourisme de {n}", "Syndicat des eaux de {n}",
              "Préfecture de {n}", "SDIS {n}"]
    out = []
    for i in range(n):
        r = rnd.choice(rows)
        form = rnd.choice(forms)
        if form.startswith("Ville") and not _population(r) >= TOWN_MIN:
            form = "Mairie de {n}"   # a village does not call itself « Ville de »
        name = r["nom"] if r["type"] != vocab.TYPE_COM else form.format(
            n=r["nom"], N=str(r["nom"]).upper())
        truth = r["siren"]
        if i % 10 == 9:
            name = rnd.choice(bodies).format(n=r["nom"])
            truth = L.NONE
        elif i % 10 == 4 and len(name) > 6:   # a typo: one letter dropped
            k = rnd.randrange(1, len(name) - 1)
            name = name[:k] + name[k + 1:]
        siret = siret_of(r["siren"]) if i % 3 else None
        out.append({"source": "datagouv", "publisher_id": f"org-{i:05d}", "name": name,
                    "siret": siret, "platform_id": None, "truth": truth})
    return pd.DataFrame(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", action="store_true", help="lister les erreurs")
    parser.add_argument("--orgs", type=int, default=5000)
    args = parser.parse_args()
    settings = load_settings()
    t0 = time.perf_counter()
    ref = L.mirror_reference(settings)
    t_ref = time.perf_counter() - t0
    portals = L.platform_registry(settings)
    print(f"référentiel 2026 (historique 2022) : {nombre(len(ref.by_siren))} collectivités, "
          f"{nombre(len(ref.aliases))} autres noms, {nombre(len(ref.successions))} successions, "
          f"préparé en {t_ref:.1f} s")

    ev = L.evaluate(ref, portals)
    c = ev.counts()
    print(f"\njeu étiqueté : {nombre(c['lignes'])} noms, dont {nombre(c['attendus'])} attendus "
          f"sur une collectivité et {nombre(c['lignes'] - c['attendus'])} sur aucune")
    print(f"  précision {pourcentage(c['precision'], 1)} ({c['vrais_positifs']} justes, "
          f"{c['faux_positifs']} faux) ; rappel {pourcentage(c['rappel'], 1)} "
          f"({c['manques']} manqués, dont les rapprochements laissés à vérifier) ; "
          f"{c['a_verifier']} à vérifier ; rapprochés en {ev.seconds:.2f} s")
    table = ev.by_provenance()
    for r in table.to_dict("records"):
        print(f"  {r['provenance']:<22} {r['lignes']:>4} noms, {r['attendus']:>4} attendus : "
              f"précision {pourcentage(r['precision'], 1):>8}, rappel "
              f"{pourcentage(r['rappel'], 1):>8}, {r['a_verifier']:>3} à vérifier")
    if args.errors:
        errors = ev.errors()
        print(errors[["id", "nom", "siret", "attendu", "credite", "resultat", "propose",
                      "raison"]].to_string())

    total, unique, found = with_places(ref)
    print(f"\nnoms de collectivités contenant un nom de département ou de région : "
          f"{nombre(total)} ; sans homonyme : {nombre(unique)} ; retrouvées par leur seul "
          f"nom : {nombre(found)} ({pourcentage(found / unique if unique else None, 1)})")

    pubs = synthetic(ref, args.orgs)
    t0 = time.perf_counter()
    rows, classes = matching.match_all(pubs, ref)
    t_match = time.perf_counter() - t0
    counted = read_time.counted(rows)
    print(f"\n{nombre(len(pubs))} organisations rapprochées en {t_match:.2f} s "
          f"({t_match / len(pubs) * 1000:.2f} ms chacune, référentiel déjà préparé) : "
          f"{nombre(int(counted.sum()))} rapprochements comptés, "
          f"{nombre(int((~counted).sum()))} à vérifier, "
          f"{nombre(int(classes['categorie'].notna().sum()))} organismes non collectivités")
    # Their truth is known (the collectivité each name was written from; none for the
    # bodies): a sanity check on forms and typos, not a measure of real names.
    ok = rows[counted].merge(pubs[["publisher_id", "truth"]], on="publisher_id")
    right = int((ok["siren"] == ok["truth"]).sum())
    wanted = int((pubs["truth"] != L.NONE).sum())
    print(f"  vérification (vérité connue) : {right} justes, {len(ok) - right} faux parmi les "
          f"comptés ; {pourcentage(right / wanted, 1)} des {nombre(wanted)} collectivités "
          "retrouvées")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
