"""Status model benchmark on the national data built from the mirror.

Times ``StatusModel.status_at`` for France, a région and a département (cold: the status
table is computed; warm: it is cached, as in the dashboard and within one CLI command),
``status_series`` (every snapshot) and the figures per département (the changes digest).
Target: ``status_at`` for France warm < 0.5 s. Figures only: it never fails on a target.

    ODLAB_MIRROR_DIR=../shared/data python bench/bench_status.py [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import mirror_dir  # noqa: E402
from odlab_compliance import db  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from odlab_compliance.model.figures import figures_by  # noqa: E402
from odlab_compliance.model.status import StatusModel  # noqa: E402
from odlab_compliance.territory import Territory  # noqa: E402

TERRITORIES = [("France", Territory()), ("Occitanie", Territory("REG", "76")),
               ("Haute-Garonne", Territory("DEP", "31"))]


def build(home: Path) -> None:
    """Reference 2026 and 2022 and the Observatoire editions, through the command line."""
    from odlab_compliance.cli import main

    if (home / "odlab.duckdb").is_file():
        return
    os.environ["ODLAB_HOME"] = str(home)
    start = time.perf_counter()
    for argv in (["reference", "update", "--vintage", "2026"],
                 ["reference", "update", "--vintage", "2022"],
                 ["harvest", "--source", "observatoire", "--quiet"]):
        if main(argv) != 0:
            raise SystemExit(f"échec de : {' '.join(argv)}")
    print(f"base construite depuis le miroir en {time.perf_counter() - start:.1f} s",
          flush=True)


def timed(func, runs: int = 5) -> tuple[float, object]:  # noqa: ANN001
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path,
                        default=Path(tempfile.gettempdir()) / "odlab-bench-status")
    args = parser.parse_args()
    mirror = mirror_dir()
    if mirror is None:
        return 0
    args.home.mkdir(parents=True, exist_ok=True)
    build(args.home)
    settings = load_settings({"ODLAB_HOME": str(args.home), "ODLAB_MIRROR_DIR": str(mirror)})
    rows = []
    with db.connect(settings, read_only=True) as con:
        model = StatusModel.from_connection(con)
        snaps = model.snapshots
        print(f"{len(snaps)} instantanés, millésimes {model.vintages}")
        for rule in ("odf", "legal"):
            snap = snaps[0]
            start = time.perf_counter()
            at = model.status_at(Territory(), rule, snap)
            _ = at.figures
            cold = time.perf_counter() - start
            rows.append((f"status_at France, {rule}, froid (table calculée)", cold, None))
            for name, t in TERRITORIES:
                warm, at = timed(lambda t=t, rule=rule, snap=snap:
                                 model.status_at(t, rule, snap).figures)
                rows.append((f"status_at {name}, {rule}, chaud", warm, 0.5))
            series, _ = timed(lambda rule=rule: model.status_series(Territory(), rule), runs=3)
            rows.append((f"status_series France, {rule} ({len(snaps)} instantanés, chaud)",
                         series, None))
            whole = model.status_at(Territory(), rule, snap).whole
            per_dep, table = timed(lambda w=whole: figures_by(w, "departement"))
            rows.append((f"chiffres des {len(table)} départements, {rule}", per_dep, None))
    print(f"{'mesure':62} {'médiane':>9} {'cible':>7}")
    for label, seconds, target in rows:
        flag = "" if target is None else ("ok" if seconds < target else "LENT")
        shown = "" if target is None else f"{target:.1f}s"
        print(f"{label:62} {seconds:8.3f}s {shown:>7} {flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
