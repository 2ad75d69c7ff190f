"""Deliberate-defect check: plant one defect at a time in a scratch copy of the tree and
show which tests catch it. A defect that no test catches is a hole in the suite.

    python bench/mutants.py                # every defect, its test files only
    python bench/mutants.py --full         # every defect, the whole suite (long)
    python bench/mutants.py seuil inconnu  # some defects

Each defect is a textual change of one line or block of the code (the anchor must occur
exactly once, or the defect is reported as "ancre introuvable": update it after a
refactor). Copies go to /tmp/mutants/<name> (tracked files only); the tests run there with
the same interpreter, ODLAB_MIRROR_DIR and a fresh ODLAB_HOME. Prints a table; exit code
1 when a defect survives. Not part of `make bench` (not a measurement).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path("/tmp/mutants")


@dataclass(frozen=True)
class Defect:
    name: str
    what: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


DEFECTS = (
    Defect("seuil", "seuil d'habitants décalé d'un (3 500 exclu)",
           "odlab_compliance/model/obligation/engine.py",
           "state = GE if pop >= p.seuil_pop else LT",
           "state = GE if pop > p.seuil_pop else LT",
           ("tests/test_obligation.py", "tests/test_obligation_cli.py",
            "tests/test_obligation_mirror.py")),
    Defect("inconnu", "source en échec comptée « non publié »",
           "odlab_compliance/model/status.py",
           "[vocab.INCONNU if r else vocab.NON_PUBLIE for r in reasons]",
           "[vocab.NON_PUBLIE for r in reasons]",
           ("tests/test_status.py", "tests/test_harvest_run.py", "tests/test_pages.py")),
    Defect("echappement", "échappement Markdown retiré",
           "odlab_compliance/ui/render.py",
           'return _MD_SPECIAL.sub(r"\\\\\\1", str(text).replace("\\n", " "))',
           'return str(text).replace("\\n", " ")',
           ("tests/test_pages.py", "tests/test_charts.py", "tests/test_browser.py")),
    Defect("suivi", "journal du suivi non écrit",
           "odlab_compliance/outreach/followup.py",
           "    for attempt in range(_CONFLICT_RETRIES):\n        try:\n            with db.transaction(con):\n                con.executemany(\n                    \"INSERT INTO followup_log",
           "    return\n    for attempt in range(_CONFLICT_RETRIES):\n        try:\n            with db.transaction(con):\n                con.executemany(\n                    \"INSERT INTO followup_log",
           ("tests/test_followup.py", "tests/test_followup_cli.py",
            "tests/test_pages_outreach.py")),
    Defect("transaction", "instantané écrit hors de sa transaction",
           "odlab_compliance/ingest/harvest/save.py",
           '    with db.transaction(con):\n        _insert(con, "harvest_publisher"',
           '    if True:\n        _insert(con, "harvest_publisher"',
           ("tests/test_harvest_kill.py", "tests/test_harvest_run.py")),
    Defect("regle-carte", "sélecteur de règle ignoré par la page Carte",
           "odlab_compliance/ui/map_view.py",
           "return cache.map_figure(ctx.sig, ctx.rule, ctx.snapshot",
           'return cache.map_figure(ctx.sig, "legal", ctx.snapshot',
           ("tests/test_pages.py",)),
    Defect("debit", "limite de 7 requêtes/s portée à 10",
           "odlab_compliance/ingest/agents/recherche_entreprises.py",
           "RATE_PER_SECOND = 7.0", "RATE_PER_SECOND = 10.0",
           ("tests/test_http_client.py", "tests/test_agents_api.py")),
    Defect("user-agent", "User-Agent du projet non envoyé",
           "odlab_compliance/http.py",
           '    session.headers["User-Agent"] = USER_AGENT\n', "",
           ("tests/test_http_client.py",)),
    Defect("erreur-anglaise", "message d'urllib3 montré tel quel",
           "odlab_compliance/ingest/sources.py",
           "source, settings, describe_error(exc), advice)) from exc",
           "source, settings, str(exc), advice)) from exc",
           ("tests/test_network_errors.py", "tests/test_pages.py")),
    Defect("reglages", "réglages non vérifiés au démarrage",
           "odlab_compliance/config.py",
           "    if bad:\n        raise SettingError(bad)\n", "",
           ("tests/test_config.py",)),
    Defect("millesime", "les pages jugent tout instantané avec le millésime le plus récent",
           "odlab_compliance/ui/shell.py",
           "snap if snap is not None else LATEST)",
           "snap if snap is not None else LATEST, vintage=self.vintage)",
           ("tests/test_consistency.py",)),
    Defect("menu", "le menu ne porte plus les choix (territoire, règle, date)",
           "odlab_compliance/ui/navigation.py",
           "st.page_link(page, label=page.title, icon=page.icon, query_params=params,",
           "st.page_link(page, label=page.title, icon=page.icon,",
           ("tests/test_browser.py",)),
    Defect("code-brut", "un code de statut affiché tel quel dans la liste des obligées",
           "odlab_compliance/ui/tables.py",
           '        out["statut"] = vocab.STATUT.labelled(out["statut"])\n',
           '        pass\n',
           ("tests/test_pages_text.py",)),
    # Reaching collectivités (issue 19)
    Defect("double-envoi", "une campagne reprise renvoie ce qui est déjà parti",
           "odlab_compliance/outreach/mailing.py",
           "            if etat == ENVOYE:",
           "            if etat == \"jamais\":",
           ("tests/test_mailing.py",)),
    Defect("annexe", "une mairie annexe préférée à la mairie",
           "odlab_compliance/ingest/contacts.py",
           '"_main": not _SECONDARY.search(e["nom"] or ""),',
           '"_main": True,',
           ("tests/test_contacts.py",)),
    Defect("suivi-avant-annuaire", "l'annuaire passe devant le contact saisi dans le suivi",
           "odlab_compliance/outreach/letters.py",
           "        mail = found[0] if found else off_mail",
           "        mail = off_mail or (found[0] if found else None)",
           ("tests/test_contacts.py", "tests/test_mailing.py")),
    Defect("certificat", "certificat du relais SMTP non vérifié",
           "odlab_compliance/outreach/mailing.py",
           "context = ssl.create_default_context(cafile=s.cafile or None)",
           "context = ssl._create_unverified_context()",
           ("tests/test_mailing.py",)),
    Defect("page-coupee", "un long courrier coupé en bas de page au lieu d'être resserré",
           "odlab_compliance/present/letters.py",
           "_SIZES = (10.0, 9.5, 9.0, 8.5, 8.0, 7.5)",
           "_SIZES = (10.0,)",
           ("tests/test_letters.py",)),
)


def copy_tree(target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src, dst = ROOT / name, target / name
        if src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def plant(defect: Defect, tree: Path) -> bool:
    path = tree / defect.path
    text = path.read_text(encoding="utf-8")
    if text.count(defect.old) != 1:
        return False
    path.write_text(text.replace(defect.old, defect.new), encoding="utf-8")
    return True


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[int, list[str], float]:
    env = {**os.environ, "ODLAB_HOME": tempfile.mkdtemp(prefix="odlab-mutant-"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ODLAB_CI", None)
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--tb=no", "-rf", *tests], cwd=tree, env=env, capture_output=True,
                          text=True, timeout=3600)
    failed = re.findall(r"^FAILED (\S+)", done.stdout, re.M)
    return done.returncode, failed, time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="défauts à planter (tous par défaut)")
    parser.add_argument("--full", action="store_true", help="toute la suite pour chaque défaut")
    args = parser.parse_args()
    chosen = [d for d in DEFECTS if not args.names or d.name in args.names]
    survivors = 0
    for defect in chosen:
        tree = SCRATCH / defect.name
        copy_tree(tree)
        if not plant(defect, tree):
            print(f"{defect.name:16} ancre introuvable dans {defect.path}", flush=True)
            survivors += 1
            continue
        rc, failed, seconds = run_tests(tree, () if args.full else defect.tests)
        caught = rc != 0 and bool(failed)
        survivors += not caught
        print(f"{defect.name:16} {'attrapé' if caught else 'SURVIT':8} {seconds:6.1f} s  "
              f"{defect.what}", flush=True)
        for test in failed:
            print(f"{'':16}   {test}", flush=True)
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
