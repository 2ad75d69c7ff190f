"""`agents fetch --all` against a national-sized stand-in of the API Recherche
d'entreprises: requests, time, and the ratio to the API's own floor.

The reference is the 2026 vintage built from the mirror (ODLAB_MIRROR_DIR) or, without
it, a synthetic one of the same size; the stand-in (tests/fixtures/recherche_entreprises:
429 beyond 7 requests/s, 400 on invalid parameters, envelope of the real service) holds
one active legal unit per collectivité plus other public units of the same natures (about
37,000 in all), and answers after ``--latence`` seconds. The floor is the time the API
allows for the fewest requests that can list those units: one per page of 25 per listing,
at 7 requests per second. Target: within 1.2 × of that floor.

    python bench/bench_agents_fetch.py [--departements N] [--latence 0.15]
    python bench/bench_agents_fetch.py --departement 31   # agents fetch --departement 31

With ``--departement``, the fetch of one département (its listing by pages, then lookups
by SIREN for what it missed) against the same national stand-in, beside what one request
per candidate SIREN (the former way) would cost.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import requests  # noqa: E402

from odlab_compliance import db  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from odlab_compliance.fmt import nombre  # noqa: E402
from odlab_compliance.ingest.agents import national  # noqa: E402
from odlab_compliance.model.agent_scope import fetch_scope  # noqa: E402
from tests.fixtures.recherche_entreprises import STATS_PATH, Unit, luhn_sirens  # noqa: E402

NATURE = {"COM": "7210", "CC": "7346", "CA": "7348", "CU": "7343", "MET": "7344",
          "EPT": "7349", "DEP": "7220", "REG": "7230"}
BANDS = ["NN", None, "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41"]
UNITS = 37_000


def reference(home: Path) -> tuple[pd.DataFrame, list[str]]:
    """(collectivités of the latest vintage, département codes) in a fresh database."""
    settings = load_settings()
    with db.connect(settings) as con:
        if os.environ.get("ODLAB_MIRROR_DIR"):
            from odlab_compliance.ingest.reference.load import load_vintage

            load_vintage(con, 2026, settings)
        else:
            synthetic(con)
        ref = con.execute("SELECT siren, type, departement, region, population_totale, "
                          "population_municipale, population_municipale_autre "
                          "FROM ref_collectivite WHERE vintage = 2026").df()
        deps = [r[0] for r in con.execute("SELECT code FROM ref_territoire WHERE vintage = "
                                          "2026 AND niveau = 'DEP' ORDER BY code").fetchall()]
    return ref, deps


def synthetic(con) -> None:  # noqa: ANN001
    rnd = random.Random(9)
    deps = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B", "971", "972", "973",
                                                            "974", "976"]
    rows, terr = [], []
    sirens = iter(luhn_sirens("21", 36_300))
    for dep in deps:
        terr.append({"vintage": 2026, "niveau": "DEP", "code": dep, "nom": dep,
                     "region": "00", "zone": "metro"})
        for i in range(345):
            pop = int(rnd.lognormvariate(6.6, 1.3))
            rows.append({"siren": next(sirens), "code_insee": f"{dep}{i:03d}",
                         "type": "COM", "departement": dep, "population_totale": pop,
                         "population_municipale": pop})
        for kind in ("CC",) * 12 + ("DEP",):
            rows.append({"siren": next(sirens), "code_insee": f"{dep}{kind}{len(rows)}",
                         "type": kind, "departement": dep, "population_totale": 30_000,
                         "population_municipale": 29_000})
    frame = pd.DataFrame(rows).assign(vintage=2026, nom="x", region="00")
    for table, df in (("ref_collectivite", frame), ("ref_territoire", pd.DataFrame(terr))):
        con.register("rows", df)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")  # noqa: S608
        con.unregister("rows")


def units_for(ref: pd.DataFrame, deps: list[str], total: int) -> list[Unit]:
    rnd = random.Random(7)
    units = []
    for r in ref.dropna(subset=["siren"]).drop_duplicates("siren").itertuples():
        dep = r.departement if isinstance(r.departement, str) and r.departement in deps \
            else deps[0]
        units.append(Unit(r.siren, NATURE.get(r.type, "7229"), dep, rnd.choice(BANDS), 2023))
    extra = max(0, total - len(units))
    for i, siren in enumerate(luhn_sirens("28", extra)):
        units.append(Unit(siren, "7229" if i % 2 else "7349", deps[i % len(deps)],
                          rnd.choice(BANDS), 2023))
    return units


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--departements", type=int, default=0,
                    help="ne garder que les N premiers départements (0 : tous)")
    ap.add_argument("--departement", default="",
                    help="mesurer « agents fetch --departement CODE » au lieu de --all")
    ap.add_argument("--latence", type=float, default=0.15,
                    help="délai de réponse du service simulé, en secondes (défaut 0,15)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ODLAB_HOME"] = tmp
        ref, deps = reference(Path(tmp))
        if args.departements:
            deps = deps[: args.departements]
            ref = ref[ref["departement"].isin(deps) | ref["type"].eq("REG")]
            with db.connect(load_settings()) as con:
                con.execute("DELETE FROM ref_collectivite WHERE vintage = 2026 AND NOT "
                            "(departement IN (SELECT unnest(?)) OR type = 'REG')", [deps])
                con.execute("DELETE FROM ref_territoire WHERE niveau = 'DEP' AND code NOT IN "
                            "(SELECT unnest(?))", [deps])
        total = UNITS if not args.departements else round(UNITS * len(deps) / 101)
        units = units_for(ref, deps, total)
        # The stand-in runs in its own process, as the real service does: the client's
        # threads and the server's do not share one interpreter lock.
        path = Path(tmp) / "units.jsonl"
        with open(path, "w", encoding="utf-8") as fh:
            for u in units:
                fh.write(json.dumps(dataclasses.asdict(u)) + "\n")
        proc = subprocess.Popen([sys.executable, "-m", "tests.fixtures.recherche_entreprises",
                                 str(path), str(args.latence)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True)
        url = proc.stdout.readline().strip()
        os.environ["ODLAB_RECHERCHE_ENTREPRISES_URL"] = url
        settings = load_settings()
        with db.connect(settings) as con:
            scope = fetch_scope(con, args.departement or None)
        listed = list(scope.departements)
        per_listing = [sum(1 for u in units if u.departement == d and u.etat == "A"
                           and u.nature in national.NATURES_CANDIDATS) for d in listed]
        minimal = national.minimal_requests(per_listing)
        candidates = len(scope.candidates)
        start = time.monotonic()
        try:
            got = national.fetch(settings, scope)
            elapsed = time.monotonic() - start
            stats = requests.get(url + STATS_PATH, timeout=10).json()
        finally:
            proc.kill()
            proc.wait()
    floor_min = national.floor_seconds(minimal)
    floor_actual = national.floor_seconds(got.requests)
    print(f"Service simulé : {nombre(len(units))} unités légales publiques actives, "
          f"{nombre(len(deps))} département(s), réponse en {nombre(args.latence, 2)} s ; "
          f"{nombre(candidates)} candidates.")
    print(f"Requêtes : {nombre(got.requests)} ({nombre(got.pages)} pages de liste, "
          f"{nombre(got.lookups)} recherches par SIREN) ; minimum possible : "
          f"{nombre(minimal)} ; servies par le service simulé : {nombre(stats['served'])} ; "
          f"429 : {stats['too_many']} (vus par le client : {got.too_many}) ; "
          f"400 : {stats['bad_requests']}.")
    print(f"Temps : {nombre(elapsed, 1)} s ; plancher de l'API (requêtes ÷ 7/s) : "
          f"{nombre(floor_actual, 1)} s pour ces requêtes, {nombre(floor_min, 1)} s pour le "
          f"minimum ; rapport : {nombre(elapsed / floor_actual, 2)} × (requêtes faites), "
          f"{nombre(elapsed / floor_min, 2)} × (minimum) ; cible ≤ 1,2 ×.")
    print(f"Candidates avec un effectif connu : {nombre(got.known_after)} / "
          f"{nombre(got.candidates)}.")
    if args.departement:
        print(f"Une requête par SIREN candidate (l'ancienne façon) : {nombre(candidates)} "
              f"requêtes, plancher {nombre(national.floor_seconds(candidates), 1)} s ; par les "
              f"listes : {nombre(got.requests)} requêtes en {nombre(elapsed, 1)} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
