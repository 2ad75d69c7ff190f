"""Time `reference update` from the mirror, for each vintage, on a temporary ODLAB_HOME.

Each vintage is loaded by the real CLI in a fresh process (as a user would run it), then
loaded again (the replace path). Prints wall and CPU seconds, the DuckDB file size, and
the display geometries per level: count, WKB bytes and GeoJSON bytes (what a map sends to
the browser). Target: under 30 s per vintage on a 2-core machine. Not a pass/fail test.

    python bench/bench_reference.py [2026 2022]
    (ODLAB_MIRROR_DIR, default ../shared/data relative to the repository)
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from odlab_compliance import db  # noqa: E402

GEOMETRY_SIZES = """
SELECT niveau, count(*) AS n, sum(octet_length(geometry)) AS wkb
FROM ref_geometry WHERE vintage = ? GROUP BY niveau ORDER BY niveau
"""


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(vintage: int, env: dict[str, str]) -> tuple[float, float]:
    cpu0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "odlab_compliance", "reference", "update",
                    "--vintage", str(vintage), "--quiet"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, _children_cpu() - cpu0


def main(vintages: list[int]) -> int:
    mirror = Path(os.environ.get("ODLAB_MIRROR_DIR") or ROOT.parent / "shared" / "data")
    if not mirror.is_dir():
        print(f"miroir introuvable : {mirror} (définissez ODLAB_MIRROR_DIR)")
        return 1
    print(f"miroir : {mirror} ; processeurs : {os.cpu_count()} ; "
          f"charge moyenne : {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="odlab-bench-ref-") as home:
        env = {**os.environ, "ODLAB_HOME": home, "ODLAB_MIRROR_DIR": str(mirror)}
        env.pop("ODLAB_DB", None)
        db_path = Path(home) / "odlab.duckdb"
        for vintage in vintages:
            wall, cpu = _run(vintage, env)
            again, cpu_again = _run(vintage, env)
            print(f"reference update --vintage {vintage} : {wall:.1f} s "
                  f"(CPU {cpu:.1f} s) ; rechargement : {again:.1f} s (CPU {cpu_again:.1f} s)")
            with db.connect(path=db_path, read_only=True) as con:
                counts = json.loads(con.execute("SELECT counts FROM ref_load WHERE vintage = ?",
                                                [vintage]).fetchall()[0][0])
                sizes = con.execute(GEOMETRY_SIZES, [vintage]).fetchall()
            geojson = counts.get("geojson_octets", {})
            for niveau, n, wkb in sizes:
                print(f"  contours {niveau:4} : {n:6d} ; WKB {wkb / 1e6:5.2f} Mo ; "
                      f"GeoJSON {geojson.get(niveau, 0) / 1e6:5.2f} Mo")
        print(f"base DuckDB ({', '.join(map(str, vintages))}) : "
              f"{db_path.stat().st_size / 1e6:.1f} Mo")
    return 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [2026, 2022]
    raise SystemExit(main(args))
