"""Dashboard benchmark: the real app in headless Chromium on the national data.

Builds (once, then reuses) a database from the mirror: reference 2026 for all of France
and the Observatoire editions; starts ``streamlit run app.py``; opens every page once to
warm the server, then times each page as a person reaches it, from a click on its link
in the sidebar menu (one session) until Streamlit is idle and every figure (maps
included) has drawn, and also opened by its address (a reload: a new session); then the
interactions (a new tab, a click on the map, saving a note, choosing a venue). Prints
the median of 3 of each and the server's peak resident memory.

The browser and the server share the machine: on 2 cores, Chromium drawing a map or
four charts competes with the server's run, so the figures are those of the worst case
(one machine for both). Targets: every page and interaction < 1.5 s warm (maps < 2 s),
a new tab < 3 s, memory < 1.5 GB. Figures only: it never fails on a target.

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

from bench.common import mirror_dir  # noqa: E402
from odlab_compliance import db  # noqa: E402
from odlab_compliance.config import load_settings  # noqa: E402
from tests.fixtures.dashboard import browser  # noqa: E402

PAGES = [
    ("Vue d'ensemble, France", "/?t=fr&regle=odf", 1.5),
    ("Vue d'ensemble, Haute-Garonne", "/?t=dep:31&regle=odf", 1.5),
    ("Carte France (régions + communes obligées)", "/carte?t=fr&regle=odf", 2.0),
    ("Carte Haute-Garonne (586 communes)", "/carte?t=dep:31&regle=odf", 2.0),
    ("Carte Nord (648 communes)", "/carte?t=dep:59&regle=odf", 2.0),
    ("Fiche Toulouse", "/fiche?t=com:31555&regle=odf", 1.5),
    ("Méthode et sources", "/methode?t=fr&regle=odf", 1.5),
    ("Premier lancement", "/installation?t=fr&regle=odf", 1.5),
    ("Changements, France", "/changements?t=fr&regle=odf", 1.5),
    ("Mes actions, France", "/semaine?t=fr&regle=odf", 1.5),
    ("Fiche, France (recherche)", "/fiche?t=fr&regle=odf", 1.5),
    ("Fiche Muret", "/fiche?t=com:31395&regle=odf", 1.5),
    ("Suivi, Haute-Garonne", "/suivi?t=dep:31&regle=odf", 1.5),
    ("Atelier, Occitanie", "/atelier?t=reg:76&regle=odf", 1.5),
]

# Interactions timed from the user's action until Streamlit is idle and drawn again.
INTERACTIONS = [
    ("Nouvel onglet (vue d'ensemble France)", 3.0),
    ("Clic sur la carte de France (détail d'une région)", 1.5),
    ("Enregistrer une note (Suivi)", 1.5),
    ("Choisir le lieu d'un atelier (Occitanie)", 1.5),
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


def after_action(page, action, *, timeout_ms: int = 180_000, **expected) -> float:  # noqa: ANN001
    """Seconds from ``action()`` until the rerun it starts has finished and drawn."""
    start = time.perf_counter()
    action()
    try:   # the rerun starts a moment after the click: wait for it to be seen running
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stApp\"]')"
            "?.getAttribute('data-test-script-state') === 'running'", timeout=3_000, polling=20)
    except Exception:  # noqa: BLE001 (Playwright's timeout: the rerun was quicker than a poll)
        pass
    page.wait_for_function(browser.DRAWN_JS, arg={"plots": 0, "maps": 0, "title": None,
                                                  **expected},
                           timeout=timeout_ms, polling=50)
    return time.perf_counter() - start


def menu_title(path: str) -> str:
    """The title of a page's link in the sidebar menu (the page registry's)."""
    from odlab_compliance.ui import navigation

    url_path = path.split("?", 1)[0].strip("/")
    return navigation.PAGES[0].title if not url_path else navigation.spec(url_path).title


def by_menu(page, base: str, path: str) -> float:  # noqa: ANN001
    """Seconds from a click on the page's link in the sidebar menu (one session, as a
    person goes from page to page) until it is drawn; the click is made from the
    overview of the same territory (from Méthode for the overview itself)."""
    query = path.split("?", 1)[1]
    start = "/methode?" + query if path.startswith("/?") else "/?" + query
    browser.open_page(page, base + start, timeout_ms=180_000, **expect(start))
    old = page.locator("h1").first.inner_text()
    link = page.locator('[data-testid="stSidebar"] a').filter(has_text=menu_title(path)).first
    t0 = time.perf_counter()
    link.click()
    page.wait_for_function("(old) => { const h = document.querySelector('h1');"
                           " return !!h && h.innerText !== old; }", arg=old,
                           timeout=180_000, polling=50)
    browser.wait_drawn(page, 180_000, **expect(path))
    return time.perf_counter() - t0


def new_tab(chromium, base: str) -> float:  # noqa: ANN001
    """A new tab (a new Streamlit session) on the overview of France."""
    context = chromium.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    page = context.new_page()
    try:
        return browser.open_page(page, base + "/?t=fr&regle=odf", timeout_ms=180_000, plots=2)
    finally:
        context.close()


def map_click(page, base: str) -> float:  # noqa: ANN001
    """On the map of France, a click in the middle of the country opens its région."""
    browser.open_page(page, base + "/carte?t=fr&regle=odf", timeout_ms=180_000, maps=1)
    page.wait_for_timeout(500)   # the map answers clicks once its layers are in
    box = page.locator("canvas.maplibregl-canvas").first.bounding_box()
    x, y = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5
    opened = ("() => !document.querySelector('h1')?.innerText.includes('France')")
    for _ in range(3):   # a click before the map listens does nothing: click again
        start = time.perf_counter()
        page.mouse.click(x, y)
        try:
            page.wait_for_function(opened, timeout=20_000, polling=50)
        except Exception:  # noqa: BLE001 (Playwright's timeout)
            continue
        browser.wait_drawn(page, 180_000, maps=1)
        return time.perf_counter() - start
    raise RuntimeError("le clic sur la carte n'a rien ouvert")


def save_note(page, base: str) -> float:  # noqa: ANN001
    """On Suivi (Haute-Garonne), a note typed and « Enregistrer » clicked."""
    browser.open_page(page, base + "/suivi?t=dep:31&regle=odf", timeout_ms=180_000)
    page.get_by_label("Note", exact=True).fill(f"Appel du banc d'essai {time.time():.0f}")
    button = page.get_by_role("button", name="Enregistrer", exact=True)
    return after_action(page, button.click)


def choose_venue(page, base: str, venue: str) -> float:  # noqa: ANN001
    """On Atelier (Occitanie), a venue picked in « Lieu de l'atelier »."""
    browser.open_page(page, base + "/atelier?t=reg:76&regle=odf", timeout_ms=180_000)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Lieu de l'atelier").first
    box.get_by_role("combobox").click()
    page.keyboard.type(venue)
    option = page.get_by_role("option").filter(has_text=venue).first
    option.wait_for(state="visible", timeout=10_000)
    return after_action(page, option.click)


def time_interactions(chromium, page, base: str, runs: int) -> list[tuple[str, float, float]]:  # noqa: ANN001
    venues = ["Toulouse", "Montpellier", "Albi", "Rodez"]
    timers = [
        lambda i: new_tab(chromium, base),
        lambda i: map_click(page, base),
        lambda i: save_note(page, base),
        lambda i: choose_venue(page, base, venues[i % len(venues)]),
    ]
    for timer in timers:   # warm
        timer(len(venues) - 1)
    out = []
    for (label, target), timer in zip(INTERACTIONS, timers, strict=True):
        out.append((label, statistics.median([timer(i) for i in range(runs)]), target))
        print(f"{label:48} {out[-1][1]:7.2f}s", flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path,
                        default=Path(tempfile.gettempdir()) / "odlab-bench-dashboard")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="pages whose label contains this text")
    args = parser.parse_args()
    mirror = mirror_dir()
    if mirror is None:
        return 0
    if not Path(browser.CHROMIUM).exists():
        print("Chromium absent (/usr/bin/chromium) : benchmark ignoré")
        return 0
    from playwright.sync_api import sync_playwright

    args.home.mkdir(parents=True, exist_ok=True)
    build(args.home, mirror)
    env = {"ODLAB_HOME": str(args.home), "ODLAB_MIRROR_DIR": str(mirror),
           "ODLAB_LOCAL_WRITE": "1"}   # saving a note is timed
    port = browser.free_port()
    proc = browser.start_server(env, port, args.home / "streamlit.log")
    base = f"http://127.0.0.1:{port}"
    results, reloads = [], []
    try:
        with sync_playwright() as p:
            chromium = browser.launch(p)
            page = chromium.new_page(viewport={"width": 1280, "height": 1000})
            for _, path, _ in [p for p in PAGES if args.only in p[0]]:   # warm the server's caches (a warm server is measured)
                browser.open_page(page, base + path, timeout_ms=180_000, **expect(path))
            for label, path, target in [p for p in PAGES if args.only in p[0]]:
                times = [by_menu(page, base, path) for _ in range(args.runs)]
                errors = browser.errors_on(page)
                opened = [browser.open_page(page, base + path, timeout_ms=180_000,
                                            **expect(path)) for _ in range(args.runs)]
                results.append((label, statistics.median(times), target, errors))
                reloads.append(statistics.median(opened))
                print(f"{label:48} {results[-1][1]:7.2f}s (adresse ouverte : "
                      f"{reloads[-1]:.2f}s)", flush=True)
            for label, seconds, target in time_interactions(chromium, page, base, args.runs):
                results.append((label, seconds, target, browser.errors_on(page)))
            chromium.close()
        peak = browser.peak_rss_mb(proc.pid)
    finally:
        browser.stop_server(proc)
    print(f"charge moyenne (1, 5, 15 min) : {os.getloadavg()}")
    print("médiane : clic sur le lien du menu jusqu'à la page dessinée (une session) ; "
          "adresse : la même page ouverte par son adresse (rechargement, nouvelle session)")
    print(f"{'page ou action':48} {'médiane':>8} {'cible':>6}        {'adresse':>8}")
    for i, (label, seconds, target, errors) in enumerate(results):
        flag = "ok" if seconds < target else "LENT"
        note = f"  erreurs : {errors}" if errors else ""
        reload = f"{reloads[i]:7.2f}s" if i < len(reloads) else ""
        print(f"{label:48} {seconds:7.2f}s {target:5.1f}s {flag:5} {reload}{note}")
    print(f"mémoire maximale du serveur : {peak:.0f} Mo (cible < 1 536 Mo)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
