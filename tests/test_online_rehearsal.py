"""The whole product online, from its official publishers, on a stranger's machine.

Local servers stand in for every official host the project reads (unpkg, Etalab's geo
files, INSEE, Recherche d'entreprises, data.gouv.fr's API and files, GitHub raw), serving
files in their official layout built at test time from the mirror
(``tests/fixtures/official_hosts.py``). A fresh ``ODLAB_HOME`` WITHOUT ``ODLAB_MIRROR_DIR``
runs the README's commands; what it builds must equal the mirror build row for row
(obligations, SIRENs of départements and régions, Observatoire editions, portal registry),
and the load journal must show that every file came from its publisher: a source that
silently fell back (a pinned copy, a missing table) fails the test.

Both builds read the same stand-ins where the mirror has nothing: the data.gouv.fr
catalogue (the small Haute-Garonne catalogue of tests/fixtures/harvest) and the API
Recherche d'entreprises (one unit per commune, EPCI, EPT, département and région of the
mirror): the mirror build is a copy of the session's national database (``national_home``)
that then runs ``harvest --source datagouv`` and ``agents fetch --all`` against them.

Within CI time: the API stand-in allows 1,000 requests per second and
ODLAB_RECHERCHE_ENTREPRISES_RATE lets the client use 300 (the real service allows 7:
the pace itself is measured by bench/bench_agents_fetch.py and tests/test_agents_national);
the portal harvest is left out (the ~220 portals of the platforms table are at their real
addresses; a stand-in would have to rewrite the registry it compares).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance import db
from odlab_compliance.cli import main
from odlab_compliance.config import load_settings
from tests.fixtures.dashboard import browser
from tests.fixtures.official_hosts import OfficialHosts

# How each located source must have been found: by its rule, not by a stand-in.
FOUND_BY = {"odf-organisations": "data.gouv.fr, jeu", "odf-plateformes": "data.gouv.fr, jeu",
            "siren-departements-regions": "liste de l'API Recherche d'entreprises",
            "geo-communes": "édition", "geo-epci": "édition", "geo-departements": "édition",
            "geo-regions": "édition"}
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
# Where a file may come from something else than its own address, and why (declared).
DECLARED_FALLBACKS = {("geo-communes", 2026), ("geo-epci", 2026), ("geo-departements", 2026),
                      ("geo-regions", 2026)}    # Etalab has no 2026 outlines yet: 2024


def _env(mp: pytest.MonkeyPatch, home: Path, extra: dict[str, str]) -> None:
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            mp.delenv(k)
    mp.setenv("ODLAB_HOME", str(home))
    mp.setenv("ODLAB_HTTP_BACKOFF", "0.01")
    for k, v in extra.items():
        mp.setenv(k, v)


FAST = {"ODLAB_RECHERCHE_ENTREPRISES_RATE": "300"}
AFTER_REFERENCE = (("harvest", ["harvest", "--source", "observatoire", "--quiet"]),
                   ("datagouv", ["harvest", "--source", "datagouv", "--quiet"]),
                   ("agents", ["agents", "fetch", "--all"]))


def _run(home: Path, env: dict[str, str], steps: tuple) -> dict[str, float]:
    mp = pytest.MonkeyPatch()
    timings = {}
    try:
        _env(mp, home, env)
        for name, argv in steps:
            start = time.monotonic()
            assert main(argv) == 0, name
            timings[name] = time.monotonic() - start
    finally:
        mp.undo()
    return timings


def _build_online(hosts: OfficialHosts, home: Path) -> dict[str, float]:
    return _run(home, {**hosts.env, **FAST},
                (("reference", ["reference", "update", "--all", "--quiet"]),
                 *AFTER_REFERENCE))


def _build_mirror(hosts: OfficialHosts, national_home: Path, home: Path,
                  mirror_dir: Path) -> dict[str, float]:
    """The mirror build: the session's national database, then the steps the mirror
    cannot stand in for, against the same stand-ins."""
    shutil.copy(national_home / "odlab.duckdb", home / "odlab.duckdb")
    env = {**hosts.env, **FAST, "ODLAB_MIRROR_DIR": str(mirror_dir)}
    return _run(home, env, AFTER_REFERENCE[1:])


def _snapshot(home: Path, tmp: Path, env: dict[str, str]) -> dict[str, pd.DataFrame]:
    """What a user sees of a build: obligations, SIRENs, editions, portal registry."""
    mp = pytest.MonkeyPatch()
    out: dict[str, pd.DataFrame] = {}
    try:
        _env(mp, home, env)
        # 2026: the vintage agent counts decide; 2022's rows are compared below
        target = tmp / f"obligations-{home.name}-2026.csv"
        assert main(["export", "obligations", "--vintage", "2026", "--rule", "legal",
                     "--output", str(target)]) == 0
        out["obligations 2026"] = pd.read_csv(target, dtype=str, sep=None, engine="python")
        target = tmp / f"statuts-{home.name}.csv"
        assert main(["export", "status", "--rule", "legal", "--snapshot", "latest",
                     "--output", str(target)]) == 0
        out["statuts"] = pd.read_csv(target, dtype=str, sep=None, engine="python")
        with db.connect(load_settings()) as con:
            out["collectivites"] = con.execute(
                "SELECT * EXCLUDE (lon, lat) FROM ref_collectivite ORDER BY ALL").df()
            out["editions"] = con.execute(
                "SELECT s.snapshot_date, o.* EXCLUDE (run_id) FROM harvest_observatoire o "
                "JOIN harvest_run s USING (run_id) ORDER BY ALL").df()
            from odlab_compliance.ingest.harvest import portals
            registry = portals.load_portal_registry(con, load_settings())
            out["portails"] = pd.DataFrame([vars(p) for p in registry]).astype(str)
    finally:
        mp.undo()
    return out


def _fetch_journal(home: Path) -> pd.DataFrame:
    mp = pytest.MonkeyPatch()
    try:
        _env(mp, home, {})
        with db.connect(load_settings()) as con:
            return con.execute("SELECT source_id, vintage, origin, url, found_by, fallback "
                               "FROM source_fetch ORDER BY ALL").df()
    finally:
        mp.undo()


def journal_problems(journal: pd.DataFrame, hosts: OfficialHosts) -> list[str]:
    """Every file downloaded from a stand-in of its own host, no undeclared stand-in."""
    problems = []
    own = {"cog": hosts.unpkg.url, "geo": hosts.geo.url,
           "siren": hosts.recherche_url or hosts.recherche.url,
           "odf": hosts.datagouv.url}
    downloaded = set(journal.loc[journal["origin"].eq("download"), "source_id"])
    for r in journal.itertuples():
        # A file shared by two vintages is downloaded once, then read from the cache.
        if r.origin != "download" and not (r.origin == "cache" and r.source_id in downloaded):
            problems.append(f"{r.source_id} {r.vintage} : lu depuis {r.origin}")
        prefix = own.get(r.source_id.split("-")[0])
        if prefix and not str(r.url).startswith(prefix):
            problems.append(f"{r.source_id} {r.vintage} : lu à {r.url}")
        rule = FOUND_BY.get(r.source_id)
        found_by = r.found_by if isinstance(r.found_by, str) else ""
        if rule and not found_by.startswith(rule):
            problems.append(f"{r.source_id} {r.vintage} : trouvé par « {found_by} », "
                            f"attendu « {rule}… »")
        declared = (r.source_id, r.vintage) in DECLARED_FALLBACKS
        if isinstance(r.fallback, str) and r.fallback and not declared:
            problems.append(f"{r.source_id} {r.vintage} : {r.fallback}")
    expected = {("siren-departements-regions", 2022), ("odf-organisations", 2021),
                ("odf-organisations", 2022), ("geo-communes", 2026), ("cog-communes", 2022)}
    seen = set(zip(journal["source_id"], journal["vintage"], strict=True))
    problems += [f"{s} {v} : absent du journal" for s, v in sorted(expected - seen)]
    return problems


def test_online_rehearsal_equals_the_mirror_build(mirror_dir, national_home, tmp_path,
                                                   chromium):
    hosts = OfficialHosts(mirror_dir)
    home, copy = tmp_path / "en-ligne", tmp_path / "miroir"
    home.mkdir()
    copy.mkdir()
    try:
        hosts.serve_reference()
        hosts.serve_recherche_apart(tmp_path, rate=1000)
        hosts.serve_observatoire()
        hosts.serve_catalogue()
        hosts.serve_github()
        timings = _build_online(hosts, home)
        _build_mirror(hosts, national_home, copy, mirror_dir)
        problems = journal_problems(_fetch_journal(home), hosts)
        assert problems == [], problems
        online = _snapshot(home, tmp_path, hosts.env)
        mirror = _snapshot(copy, tmp_path, {"ODLAB_MIRROR_DIR": str(mirror_dir)})
        for name, expected in mirror.items():
            got = online[name]
            assert len(got) == len(expected), name
            pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                          expected.reset_index(drop=True), obj=name)
        deps = online["collectivites"][online["collectivites"]["type"].isin(["DEP", "REG"])]
        assert deps["siren"].notna().all(), deps[deps["siren"].isna()]
        # agent counts reached every candidate, and they decide obligations
        assert online["obligations 2026"]["obligation"].nunique() >= 3

        # The first-run page of that home, online: it says what is built, no error.
        port = browser.free_port()
        mp = pytest.MonkeyPatch()
        try:    # start_server adds the process environment: no ODLAB_MIRROR_DIR in it
            _env(mp, home, hosts.env)
            proc = browser.start_server({"ODLAB_LOCAL_WRITE": "1"}, port,   # an editor
                                        tmp_path / "streamlit.log")
        finally:
            mp.undo()
        page = browser.new_page(chromium)
        try:
            browser.open_page(page, f"http://127.0.0.1:{port}/installation",
                              title="Premier lancement")
            SHOTS.mkdir(parents=True, exist_ok=True)
            check = page.get_by_role("button", name="Vérifier les sources (les sites officiels)")
            for _ in range(3):   # folded once the base is built; a rerun may fold it again
                if check.is_visible():
                    break
                page.get_by_text("État des sources officielles").click()
                page.wait_for_timeout(1000)
            page.screenshot(path=str(SHOTS / "installation-en-ligne-avant.png"), full_page=True)
            check.click()
            page.get_by_text("répondent au format attendu").wait_for(timeout=60_000)
            browser.wait_drawn(page)
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "installation-en-ligne.png"), full_page=True)
            text = " ".join(page.inner_text("body").split())
            (SHOTS / "installation-en-ligne.txt").write_text(text, encoding="utf-8")
            assert "La base contient le référentiel des collectivités 2026, 2022" in text
            assert "Les fichiers seront téléchargés depuis les sites officiels" in text
            assert "requise(s) absente(s)" not in text     # every required source answers
            assert browser.errors_on(page) == []
        finally:
            page.context.close()
            browser.stop_server(proc)
        assert timings["reference"] < 600
    finally:
        hosts.close()


def test_a_source_falling_back_silently_fails_the_rehearsal(mirror_dir, tmp_path):
    """The planted defect: data.gouv.fr does not describe the 2022 edition any more, the
    pinned copy stands in — the same rows, but the journal says so and the check fails."""
    hosts = OfficialHosts(mirror_dir)
    home = tmp_path / "secours"
    home.mkdir()
    try:
        hosts.serve_observatoire()
        slug = "/api/1/datasets/donnees-de-lobservatoire-open-data-des-territoires-edition-2022/"
        del hosts.datagouv.routes[slug]
        hosts.serve_github()
        mp = pytest.MonkeyPatch()
        try:
            _env(mp, home, hosts.env)
            assert main(["harvest", "--source", "observatoire", "--quiet"]) in (0, 1)
        finally:
            mp.undo()
        problems = journal_problems(_fetch_journal(home), hosts)
    finally:
        hosts.close()
    assert any("odf-organisations 2022 : copie de secours" in p for p in problems), problems
