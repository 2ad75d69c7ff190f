"""Where a page spends its server time: one page of the real app run in-process by
``AppTest`` on the bench database, warmed twice, then profiled by pyinstrument.

    ODLAB_MIRROR_DIR=../shared/data python bench/profile_page.py pages/changements.py "t=fr&regle=odf"

Prints the wall time of each run (the last ones are warm: what a user meets once the
server's caches are filled) and pyinstrument's call tree of the last run. The database
is the one ``bench/bench_dashboard.py`` builds (``--home``, built first if missing).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_dashboard import build  # noqa: E402
from bench.common import mirror_dir  # noqa: E402
from odlab_compliance.config import PROJECT_ROOT  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("page", help="page file, e.g. pages/changements.py (app.py: the first page)")
    parser.add_argument("query", nargs="?", default="", help="query string, e.g. t=fr&regle=odf")
    parser.add_argument("--home", type=Path,
                        default=Path(tempfile.gettempdir()) / "odlab-bench-dashboard")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--same-session", action="store_true",
                        help="rerun in one session (a widget change) instead of a new session "
                             "per run (a page opened, as the dashboard bench times it)")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    args = parser.parse_args()
    mirror = mirror_dir("profil")
    if mirror is None:
        return 0
    from pyinstrument import Profiler
    from streamlit.testing.v1 import AppTest

    args.home.mkdir(parents=True, exist_ok=True)
    build(args.home, mirror)
    os.environ.update({"ODLAB_HOME": str(args.home), "ODLAB_LOCAL_WRITE": "1"})
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    # AppTest runs the script in its own thread, and pyinstrument samples the thread it
    # was started on: the last run's script thread is profiled from inside.
    profiler = Profiler(interval=0.002)
    original = ScriptRunner._run_script
    state = {"profile": False}

    def profiled(self, rerun_data):  # noqa: ANN001, ANN202
        if not state["profile"]:
            return original(self, rerun_data)
        profiler.start()
        try:
            return original(self, rerun_data)
        finally:
            profiler.stop()

    ScriptRunner._run_script = profiled
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=600)
    for i in range(args.runs):
        if i and not args.same_session:   # the server's caches stay warm, the session is new
            at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=600)
        state["profile"] = i == args.runs - 1
        start = time.perf_counter()
        at.query_params.clear()
        at.query_params.update(dict(p.split("=", 1) for p in args.query.split("&") if p))
        if args.page != "app.py":
            at.switch_page(args.page)
        at.run()
        print(f"exécution {i + 1} : {time.perf_counter() - start:.2f} s"
              + (f" ; erreurs : {[e.value for e in at.exception]}" if at.exception else ""))
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
