"""Dashboard benchmark: the real app in headless Chromium on the national data.

Builds (once, then reuses) a database from the mirror: reference 2026 for all of France
and the Observatoire editions; starts ``streamlit run app.py``; opens every page once to
warm the server, then times each page from navigation until Streamlit is idle and every
figure (maps included) has drawn. Prints the median of 3 visits per page and the
server's peak resident memory.

Targets (2-core machine): overview and maps < 2 s warm, other pages < 3 s, memory
< 1.5 GB. Figures only: it never fails on a target.

    ODLAB_MIRROR_DIR=../shared/data python bench/bench_dashboard.py [--home DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from odlab_compliance import db  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from tests.fixtures.dashboard import browser  # noqa: E402

PAGES = [
    ("Vue d'ensemble, France", "/?t=fr&regle=odf", 2.0),
    ("Vue d'ensemble, Haute-Garonne", "/?t=dep:31&regle=odf", 2.0),
    ("Carte France (régions + communes obligées)", "/carte?t=fr&regle=odf", 2.0),
    ("Carte Haute-Garonne (586 communes)", "/carte?t=dep:31&regle=odf", 2.0),
    ("Carte Nord (648 communes)", "/carte?t=dep:59&regle=odf", 2.0),
    ("Fiche Toulouse", "/fiche?t=com:31555&regle=odf", 3.0),
    ("Méthode et sources", "/methode?regle=odf", 3.0),
    ("Premier lancement", "/installation?regle=odf", 3.0),
]


def build(home: Path, mirror: Path) -> None:
    """Reference 2026 and the Observatoire editions, unless already there."""
    from odlab_compliance.ingest.harvest.run import import_observatoire
    from odlab_compliance.ingest.reference import load_vintage

    settings = dataclasses.replace(load_settings({"ODLAB_HOME": str(home)}), mirror_dir=mirror)
    if settings.db_path.is_file():
        return
    start = time.perf_counter()
    with db.connect(settings) as con:
        load_vintage(con, 2026, settings)
    import_observatoire(settings)
    print(f"base construite depuis le miroir en {time.perf_counter() - start:.1f} s", flush=True)


def expect(path: str) -> dict[str, int]:
    """What a page must show before it counts as drawn (a map page: its loaded map)."""
    return {"maps": 1} if path.startswith("/carte") else {"plots": 2} if path.startswith("/?") else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path,
                        default=Path(tempfile.gettempdir()) / "odlab-bench-dashboard")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    mirror = os.environ.get("ODLAB_MIRROR_DIR")
    if not mirror or not Path(mirror).is_dir():
        print("ODLAB_MIRROR_DIR n'est pas défini : benchmark ignoré")
        return 0
    if not Path(browser.CHROMIUM).exists():
        print("Chromium absent (/usr/bin/chromium) : benchmark ignoré")
        return 0
    from playwright.sync_api import sync_playwright

    args.home.mkdir(parents=True, exist_ok=True)
    build(args.home, Path(mirror).resolve())
    env = {"ODLAB_HOME": str(args.home), "ODLAB_MIRROR_DIR": str(Path(mirror).resolve())}
    port = browser.free_port()
    proc = browser.start_server(env, port, args.home / "streamlit.log")
    base = f"http://127.0.0.1:{port}"
    results = []
    try:
        with sync_playwright() as p:
            chromium = browser.launch(p)
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            for _, path, _ in PAGES:   # warm the server's caches (a warm server is measured)
                browser.open_page(page, base + path, timeout_ms=180_000, **expect(path))
            for label, path, target in PAGES:
                times = [browser.open_page(page, base + path, timeout_ms=180_000, **expect(path))
                         for _ in range(args.runs)]
                errors = browser.errors_on(page)
                results.append((label, statistics.median(times), target, errors))
            chromium.close()
        peak = browser.peak_rss_mb(proc.pid)
    finally:
        browser.stop_server(proc)
    print(f"{'page':48} {'médiane':>8} {'cible':>6}")
    for label, seconds, target, errors in results:
        flag = "ok" if seconds < target else "LENT"
        note = f"  erreurs : {errors}" if errors else ""
        print(f"{label:48} {seconds:7.2f}s {target:5.1f}s {flag}{note}")
    print(f"mémoire maximale du serveur : {peak:.0f} Mo (cible < 1 536 Mo)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
