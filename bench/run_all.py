"""Run every benchmark script of this folder in turn and print their figures.

Benchmarks print figures and ratios; they never pass or fail. Each runs in its own
process so that one's memory does not weigh on the next's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    failures = 0
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        if rc:
            failures += 1
            print(f"!!! {script.name} a échoué (code {rc})", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
