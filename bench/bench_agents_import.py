"""`agents import` of a large synthetic Sirene StockUniteLegale: time and peak memory.

Writes a CSV with the 34 real columns of the stock (N rows, 5 % public units, catégorie
7xxx) and its Parquet twin in a temporary folder, then imports each in a fresh process
into a fresh DuckDB file and prints the wall time and the peak RSS of that process.
The real stock is about 30 million rows (several GB): memory must not grow with it.

    python bench/bench_agents_import.py [ROWS]      (default 1,500,000)
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from odlab_compliance.fmt import nombre  # noqa: E402

COLUMNS = [
    "siren", "statutDiffusionUniteLegale", "unitePurgeeUniteLegale", "dateCreationUniteLegale",
    "sigleUniteLegale", "sexeUniteLegale", "prenom1UniteLegale", "prenom2UniteLegale",
    "prenom3UniteLegale", "prenom4UniteLegale", "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale", "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale", "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale", "nombrePeriodesUniteLegale", "categorieEntreprise",
    "anneeCategorieEntreprise", "dateDebut", "etatAdministratifUniteLegale", "nomUniteLegale",
    "nomUsageUniteLegale", "denominationUniteLegale", "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale", "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale", "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale", "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
]
BANDS = ["NN", "", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51"]
PUBLIC = ["7210", "7220", "7346", "7348", "7353", "7355", "7361", "7372"]
PRIVATE = ["5499", "5710", "1000", "9220", "6540"]


def luhn_key(base: str) -> str:
    """The 9th digit that makes ``base`` (8 digits) pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(base)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def generate(path: Path, rows: int) -> None:
    rnd = random.Random(42)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for i in range(rows):
            base = f"{10_000_000 + i * 7:08d}"[-8:]
            public = rnd.random() < 0.05
            band = rnd.choice(BANDS)
            row = [""] * len(COLUMNS)
            row[0] = base + luhn_key(base)
            row[1], row[3], row[20] = "O", "1990-01-01", rnd.choice("AAAC")
            row[13], row[14] = band, ("" if band in ("", "NN") else str(rnd.randint(2019, 2024)))
            row[15], row[16] = "2025-01-01T00:00:00", "3"
            row[23] = f"{'COMMUNE' if public else 'SOCIETE'} NUMERO {i} (É)"
            row[27] = rnd.choice(PUBLIC if public else PRIVATE)
            row[28], row[29], row[30] = "84.11Z", "NAFRev2", "00011"
            out.writerow(row)


def import_in_child(path: Path, home: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, summary) of `agents import` in a fresh process."""
    env = dict(os.environ, ODLAB_HOME=str(home), ODLAB_DB=str(home / "bench.duckdb"))
    out_path = home / "stdout.txt"
    t0 = time.perf_counter()
    with open(out_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "odlab_compliance", "agents", "import",
                                 str(path)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.DEVNULL)
        # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would mix all children).
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"import a échoué : {out_path.read_text()}")
    return elapsed, usage.ru_maxrss / 1024, out_path.read_text().strip().splitlines()[1]


def main() -> int:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_500_000
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        csv_path = tmpdir / "StockUniteLegale_synthetique.csv"
        t0 = time.perf_counter()
        generate(csv_path, rows)
        size = csv_path.stat().st_size / 1e6
        print(f"CSV synthétique : {nombre(rows)} lignes, {nombre(size)} Mo, généré en "
              f"{nombre(time.perf_counter() - t0, 1)} s")
        parquet_path = tmpdir / "StockUniteLegale_synthetique.parquet"
        # In a child process, so that the conversion's memory is not counted below.
        subprocess.run([sys.executable, "-c", (
            "import duckdb, sys; c = duckdb.connect(); "
            "c.execute('SET enable_progress_bar = false'); "
            "c.read_csv(sys.argv[1], all_varchar=True).write_parquet(sys.argv[2])"),
            str(csv_path), str(parquet_path)], check=True)
        for label, path in (("CSV", csv_path), ("Parquet", parquet_path)):
            home = tmpdir / f"home-{label}"
            home.mkdir()
            seconds, peak_mb, summary = import_in_child(path, home)
            print(f"import {label} : {nombre(seconds, 1)} s, pic de mémoire (RSS) "
                  f"{nombre(peak_mb)} Mo "
                  f"— {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
