"""Time `export obligations` (CSV and XLSX) on a France-sized database.

The reference tables come from the mirror through `reference update` when that command
and a mirror are available (ODLAB_MIRROR_DIR, default ../shared/data); otherwise ~37,000
synthetic collectivités are written. Agent counts are always synthetic (~30,000 rows:
the mirror has no Sirene stock for public bodies), shaped like Sirene: bands grow with
population, some NN, some missing, a few prefecture counts.

Prints seconds; target: under 2 s for the CSV export. Not a pass/fail test.

    python bench/bench_export.py [--synthetic] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from odlab_compliance import db  # noqa: E402
from odlab_compliance.cli import build_parser, main  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from odlab_compliance.ingest.agents import store as agents_store  # noqa: E402
from odlab_compliance.model.obligation import obligations  # noqa: E402
from odlab_compliance.present import exports  # noqa: E402

VINTAGE = 2026
# Sirene bands with a typical lower bound, used to draw a band from a population.
BAND_FLOORS = [("00", 0), ("01", 1), ("02", 3), ("03", 6), ("11", 10), ("12", 20), ("21", 50),
               ("22", 100), ("31", 200), ("32", 250), ("41", 500), ("42", 1000), ("51", 2000),
               ("52", 5000), ("53", 10000)]
BAND_MAX = {"00": 0, "01": 2, "02": 5, "03": 9, "11": 19, "12": 49, "21": 99, "22": 199,
            "31": 249, "32": 499, "41": 999, "42": 1999, "51": 4999, "52": 9999, "53": None}


def _siren(rng: np.random.Generator, prefix: str, n: int) -> list[str]:
    base = rng.choice(10 ** (9 - len(prefix)), size=n, replace=False)
    return [f"{prefix}{b:0{9 - len(prefix)}d}" for b in base]


def synthetic_reference(rng: np.random.Generator) -> pd.DataFrame:
    n_com, n_epci = 34_900, 1_255
    pop = np.round(rng.lognormal(mean=6.2, sigma=1.3, size=n_com)).astype(int) + 20
    municipale = pop - np.round(pop * rng.uniform(0, 0.03, n_com)).astype(int)
    deps = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]
    dep = rng.choice(deps, n_com)
    epci_sirens = _siren(rng, "24", n_epci)
    com = pd.DataFrame({
        "siren": _siren(rng, "21", n_com),
        "nom": [f"Commune {i}" for i in range(n_com)], "type": "COM", "departement": dep,
        "region": "84", "epci_siren": rng.choice(epci_sirens, n_com),
        "population_totale": pop, "population_municipale": municipale,
    })
    # INSEE-like text codes: département + 3 digits ("01001", "2A004").
    rank = com.groupby("departement").cumcount() + 1
    com["code_insee"] = com["departement"] + rank.map(lambda i: f"{i:03d}")
    com = com[rank < 1000]
    kinds = rng.choice(["CC", "CA", "CU", "MET"], n_epci, p=[0.79, 0.18, 0.01, 0.02])
    epci = pd.DataFrame({
        "siren": epci_sirens, "code_insee": epci_sirens,
        "nom": [f"Intercommunalité {i}" for i in range(n_epci)], "type": kinds,
        "departement": rng.choice(deps, n_epci), "region": "84",
        "population_totale": np.round(rng.lognormal(10.2, 0.9, n_epci)).astype(int) + 5000,
    })
    dep_df = pd.DataFrame({"siren": _siren(rng, "22", len(deps)), "code_insee": deps,
                           "nom": [f"Département {d}" for d in deps], "type": "DEP",
                           "departement": deps, "region": "84"})
    regs = [f"{r}" for r in (11, 24, 27, 28, 32, 44, 52, 53, 75, 76, 84, 93, 94, 1, 2, 3, 4, 6)]
    reg_df = pd.DataFrame({"siren": _siren(rng, "23", len(regs)), "code_insee": regs,
                           "nom": [f"Région {r}" for r in regs], "type": "REG", "region": regs})
    ref = pd.concat([com, epci, dep_df, reg_df], ignore_index=True)
    ref["vintage"] = VINTAGE
    ref["annee_population"] = 2023
    return ref


def synthetic_agents(rng: np.random.Generator, ref: pd.DataFrame, target: int = 30_000) -> pd.DataFrame:
    ref = ref[ref["siren"].notna()]
    picked = ref.sample(n=min(target, len(ref)), random_state=1)
    pop = picked["population_totale"].fillna(500_000).to_numpy(dtype=float)
    staff = pop / rng.uniform(60, 160, len(pop))          # about one agent per 100 inhabitants
    floors = np.array([f for _, f in BAND_FLOORS])
    codes = [BAND_FLOORS[i][0] for i in np.searchsorted(floors, staff, side="right") - 1]
    nn = rng.random(len(codes)) < 0.08
    codes = ["NN" if u else c for c, u in zip(codes, nn, strict=True)]
    rows = pd.DataFrame({
        "siren": picked["siren"].to_numpy(), "source": "sirene", "tranche": codes,
        "agents_min": [None if c == "NN" else dict(BAND_FLOORS)[c] for c in codes],
        "agents_max": [None if c == "NN" else BAND_MAX[c] for c in codes],
        "annee": rng.choice([2021, 2022, 2023], len(codes)),
        "source_detail": "StockUniteLegale (synthétique)",
    })
    pref = rows.sample(n=300, random_state=2)[["siren"]].assign(
        source="prefecture", tranche=None, annee=2024, source_detail="enquête (synthétique)")
    exact = rng.integers(5, 400, len(pref))
    pref["agents_min"], pref["agents_max"] = exact, exact
    return pd.concat([rows, pref], ignore_index=True)


_INSERT_REF = "INSERT INTO ref_collectivite BY NAME SELECT * FROM bench_rows"


def build_db(synthetic: bool) -> str:
    """Fill the database of the current ODLAB_HOME; return where the reference came from."""
    rng = np.random.default_rng(2026)
    commands = build_parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    mirror = os.environ.get("ODLAB_MIRROR_DIR") or str(ROOT.parent / "shared" / "data")
    origin = "synthétique"
    if not synthetic and "reference" in commands and Path(mirror).is_dir():
        os.environ["ODLAB_MIRROR_DIR"] = mirror
        t0 = time.perf_counter()
        code = main(["reference", "update", "--vintage", str(VINTAGE)])
        if code == 0:
            origin = f"miroir ({time.perf_counter() - t0:.1f} s pour reference update)"
    with db.connect(load_settings()) as con:
        if origin == "synthétique":
            con.register("bench_rows", synthetic_reference(rng))
            con.execute(_INSERT_REF)
            con.unregister("bench_rows")
        ref = con.execute("SELECT siren, population_totale FROM ref_collectivite "
                          "WHERE vintage = ?", [VINTAGE]).df()
        agents = synthetic_agents(rng, ref)
        for source in ("sirene", "prefecture"):
            agents_store.replace_source(con, agents[agents["source"] == source], source)
    return origin


def timed(fn, repeat: int) -> str:  # noqa: ANN001
    """Best and median wall time, and the CPU time of the best run: on a shared 2-core
    machine the wall time also measures the neighbours, the CPU time does not."""
    runs = []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - w0, time.process_time() - c0))
    best = min(runs)
    median = statistics.median(w for w, _ in runs)
    return f"{best[0]:.2f} s (médiane {median:.2f} s, CPU {best[1]:.2f} s)"


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["ODLAB_HOME"] = home
        os.environ.pop("ODLAB_DB", None)
        origin = build_db(args.synthetic)
        settings = load_settings()
        with db.connect(settings, read_only=True) as con:
            n_ref = con.execute("SELECT count(*) FROM ref_collectivite WHERE vintage = ?",
                                [VINTAGE]).fetchone()[0]
            n_agents = con.execute("SELECT count(*) FROM agents").fetchone()[0]
            took = timed(lambda: obligations(con, VINTAGE, "legal"), args.repeat)
            print(f"référentiel : {origin} ; {n_ref} collectivités, {n_agents} lignes d'effectifs")
            print(f"obligations(con, {VINTAGE}, 'legal')  : {took}")
            df = obligations(con, VINTAGE, "legal")
            for fmt in exports.FORMATS:
                took = timed(lambda f=fmt: exports.to_bytes(df, f), args.repeat)
                size = len(exports.to_bytes(df, fmt)) / 1e6
                print(f"exports.to_bytes(df, {fmt!r:6})      : {took}, {size:.1f} Mo")
        for fmt in exports.FORMATS:
            out = Path(home) / f"obligations.{fmt}"
            argv = ["export", "obligations", "--vintage", str(VINTAGE), "--rule", "legal",
                    "--output", str(out)]
            with open(os.devnull, "w") as devnull:
                stdout, sys.stdout = sys.stdout, devnull
                try:
                    took = timed(lambda a=argv: main(a), args.repeat)
                finally:
                    sys.stdout = stdout
            target = " (cible < 2 s)" if fmt == "csv" else ""
            print(f"export obligations --output *.{fmt:4}  : {took}{target}")
        print(f"charge de la machine (load average 1 min) : {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true",
                        help="référentiel synthétique même si le miroir est disponible")
    parser.add_argument("--repeat", type=int, default=3)
    run(parser.parse_args())
