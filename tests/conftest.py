"""Shared fixtures: settings pointing at a temporary home, a real local HTTP server,
and the offline mirror when ODLAB_MIRROR_DIR is set (CI sets it to ../shared/data).

No silent skip: a test may be skipped on a developer's laptop (no mirror, no Chromium),
and the closing summary says how many and why; but a mirror that is set and wrong stops
the run at once, and under ``ODLAB_CI=1`` (set by ``.ci/run``) a missing mirror, a
missing Chromium or playwright, or any skip at all fails the run with a French message.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from odlab_compliance.config import Settings, load_settings
from tests.fixtures.dashboard import build_db
from tests.fixtures.dashboard.browser import CHROMIUM
from tests.httpserver import LocalServer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# INSEE's populations légales are optional and absent from every mirror (with a mirror,
# they are not downloaded); without a mirror, a test never reaches www.insee.fr either: a
# closed local port refuses at once. The tests of that path serve INSEE's format from a
# local server.
NO_INSEE = "http://127.0.0.1:9"
# Mirror files no test reads (the multi-GB Sirene stock is never in shared/data; INSEE's
# populations légales are not in it either: the loader does without them, and their
# tests serve INSEE's format from a local server).
MIRROR_OPTIONAL = {"sirene-stock-unite-legale", "insee-populations-legales", "scdl-schema",
                   "annuaire-administration"}   # no mirror holds the Annuaire


def in_ci() -> bool:
    return os.environ.get("ODLAB_CI", "") not in ("", "0")


def mirror_problem() -> str | None:
    """Why ``ODLAB_MIRROR_DIR`` cannot serve the tests (None: usable, or unset)."""
    from odlab_compliance.ingest.sources import all_sources

    value = os.environ.get("ODLAB_MIRROR_DIR", "")
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        return f"ODLAB_MIRROR_DIR={value} : ce dossier n'existe pas"
    missing = sorted({s.mirror for s in all_sources()
                      if s.id not in MIRROR_OPTIONAL and not (path / s.mirror).is_file()})
    if missing:
        shown = ", ".join(missing[:4]) + (f" (et {len(missing) - 4} autres)" if len(missing) > 4 else "")
        return (f"ODLAB_MIRROR_DIR={value} n'est pas organisé comme shared/data : "
                f"{len(missing)} fichier(s) manquant(s) : {shown}")
    return None


def browser_problem() -> str | None:
    """What the browser tests lack (None: Chromium and playwright are there)."""
    lacks = []
    if not Path(CHROMIUM).exists():
        lacks.append(f"Chromium absent ({CHROMIUM}) : make install-browser")
    try:  # imported, not just found: a broken install must not pass for a working one
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        lacks.append(f"paquet Python playwright absent ou cassé ({exc}) : make install")
    return " ; ".join(lacks) or None


def pytest_sessionstart(session: pytest.Session) -> None:
    problems = []
    wrong = mirror_problem()
    if wrong:
        problems.append(wrong)   # set but wrong: a typo must not turn into skipped tests
    if in_ci():
        if not os.environ.get("ODLAB_MIRROR_DIR"):
            problems.append("ODLAB_MIRROR_DIR n'est pas défini (.ci/run le pointe sur "
                            "../shared/data)")
        lacking = browser_problem()
        if lacking:
            problems.append(lacking)
    if problems:
        where = " (CI : ODLAB_CI=1)" if in_ci() else ""
        pytest.exit("Tests impossibles" + where + " :\n  - " + "\n  - ".join(problems),
                    returncode=pytest.ExitCode.USAGE_ERROR)


def skip_or_fail(reason: str) -> None:
    """Skip on a laptop; in CI a missing prerequisite is a failure, never a skip."""
    if in_ci():
        pytest.fail(f"{reason} (en CI, ODLAB_CI=1 : ce n'est pas un motif pour ignorer)")
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons = Counter()
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    terminalreporter.section("tests ignorés")
    terminalreporter.write_line(f"{len(skipped)} test(s) ignoré(s) :")
    for reason, n in reasons.most_common():
        terminalreporter.write_line(f"  {n} × {reason}")
    if in_ci():
        terminalreporter.write_line("En CI (ODLAB_CI=1), un test ignoré fait échouer la suite.")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if in_ci() and reporter and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def home(tmp_path: Path) -> Path:
    d = tmp_path / "home"
    d.mkdir()
    return d


@pytest.fixture
def env(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: temporary ODLAB_HOME, no mirror, fast retries."""
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            monkeypatch.delenv(k)
    values = {"ODLAB_HOME": str(home), "ODLAB_HTTP_BACKOFF": "0.01", "ODLAB_HTTP_TIMEOUT": "5",
              "ODLAB_HTTP_RETRIES": "3",
              "ODLAB_BASE_URL_INSEE": NO_INSEE}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings()


@pytest.fixture
def server():
    srv = LocalServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    value = os.environ.get("ODLAB_MIRROR_DIR", "")
    if not value:
        skip_or_fail("ODLAB_MIRROR_DIR n'est pas défini : test sur le miroir ignoré")
    return Path(value).resolve()   # a wrong value already stopped the run at its start


def require_tool(name: str) -> None:
    """A command-line tool a test drives (pdftotext: make install-browser)."""
    if shutil.which(name) is None:
        skip_or_fail(f"outil {name} absent : make install-browser")


def require_browser() -> None:
    lacking = browser_problem()
    if lacking:
        skip_or_fail(lacking)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session: Playwright's sync API allows a single
    running instance per thread, so every browser test shares this one."""
    from tests.fixtures.dashboard import browser

    require_browser()
    from playwright import sync_api

    with sync_api.sync_playwright() as p:
        instance = browser.launch(p)
        yield instance
        instance.close()


# -- a small reference and status table (Occitanie), for the pure territory and figures tests

@pytest.fixture(scope="session")
def ref() -> pd.DataFrame:
    return build_db.reference_rows()


@pytest.fixture(scope="session")
def terr() -> pd.DataFrame:
    return pd.read_csv(build_db.HERE / "territories.csv", sep=";", dtype=str)


@pytest.fixture
def frame(ref) -> pd.DataFrame:
    """A status table: communes under 3 500 inhabitants not obliged, two publishers."""
    df = ref.copy()
    df["obligation"] = ["non_obligee" if (t == "COM" and p < 3500) else "obligee"
                        for t, p in zip(df["type"], df["population_totale"], strict=True)]
    statut = {"213105554": "publie", "213100696": "publie_via_tiers", "213100440": "inconnu"}
    df["statut"] = df["siren"].map(statut).fillna("non_publie")
    return df


# -- the national database built from the mirror (slow: built once per session) -------------

@pytest.fixture(scope="session")
def national_home(mirror_dir, tmp_path_factory) -> Path:
    """``reference update`` 2026 and 2022 and the two Observatoire editions, from the
    mirror, through the real command line (as a user builds it)."""
    from odlab_compliance.cli import main

    home = tmp_path_factory.mktemp("national")
    mp = pytest.MonkeyPatch()
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            mp.delenv(k)
    mp.setenv("ODLAB_HOME", str(home))
    mp.setenv("ODLAB_MIRROR_DIR", str(mirror_dir))
    try:
        assert main(["reference", "update", "--vintage", "2026"]) == 0
        assert main(["reference", "update", "--vintage", "2022"]) == 0
        assert main(["harvest", "--source", "observatoire", "--quiet"]) == 0
    finally:
        mp.undo()
    return home


@pytest.fixture
def national(national_home, monkeypatch) -> Path:
    """The environment of a test that reads the national database."""
    for k in list(os.environ):
        if k.startswith("ODLAB_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("ODLAB_HOME", str(national_home))
    return national_home
