"""`refresh`: what a server does each night, step by step, one journal row per step.

Steps, in order: ``moissonnage`` (data.gouv.fr and the portals), ``effectifs`` (staff counts of
the Recherche d'entreprises API older than ``--agents-jours``, a slice per night),
``contacts`` (the Annuaire de l'administration), ``validite`` (SCDL files against their
schemas, when this version has the ``scdl`` command), ``digest`` (« Mes actions de la
semaine » to each editor, on the chosen weekday, when the secrets name editors and an
SMTP server). A failed step does not stop the next ones. The exit code adds the value of
each failed step (``STEP_BITS``): 0 when all went well, 5 = moissonnage and contacts failed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from odlab_compliance import auth, db
from odlab_compliance.cli import harvest as harvest_cli
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.fmt import nombre

STEPS = ("moissonnage", "effectifs", "contacts", "validite", "digest")
STEP_BITS = {"moissonnage": 1, "effectifs": 2, "contacts": 4, "validite": 8, "digest": 16}
STEP_LABELS = {"moissonnage": "data.gouv.fr et portails", "effectifs": "effectifs anciens",
               "contacts": "contacts officiels", "validite": "validité des fichiers SCDL",
               "digest": "actions de la semaine par courriel"}
OK, FAILED, SKIPPED, RUNNING = "reussi", "echec", "ignore", "en_cours"
DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
AGENTS_SOURCE = "recherche_entreprises"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "refresh", help="La mise à jour de la nuit : moissonnage, effectifs, contacts, "
                        "validité, actions de la semaine.",
        description="Lance les étapes de la nuit : " + ", ".join(
            f"{s} ({STEP_LABELS[s]})" for s in STEPS) + ". Une ligne de journal par étape "
        "(refresh --journal). Code de sortie : 0 si tout a réussi, sinon la somme des "
        "étapes en échec : " + ", ".join(f"{s} = {b}" for s, b in STEP_BITS.items()) + ".")
    p.add_argument("--etapes", default=",".join(STEPS),
                   help=f"étapes à lancer, séparées par des virgules (défaut : {','.join(STEPS)})")
    p.add_argument("--agents-jours", type=int, default=90, metavar="N",
                   help="effectifs de l'API plus vieux que N jours à relire (défaut : 90)")
    p.add_argument("--agents-max", type=int, default=500, metavar="N",
                   help="au plus N SIREN relus par nuit (défaut : 500)")
    p.add_argument("--digest-jour", default="lundi", choices=DAYS,
                   help="jour d'envoi des actions de la semaine (défaut : lundi)")
    p.add_argument("--rule", default="legal", help="règle du digest (défaut : legal)")
    p.add_argument("--secrets", type=Path, metavar="FICHIER",
                   help="fichier des secrets du digest (défaut : ceux du projet)")
    p.add_argument("--journal", action="store_true",
                   help="affiche les dernières étapes journalisées au lieu de lancer")
    p.set_defaults(func=_refresh)


@dataclass
class StepResult:
    step: str
    state: str
    code: int | None
    message: str


def _start(passage: str, step: str) -> int:
    with db.connect(load_settings()) as con:
        con.execute("INSERT INTO refresh_step (passage, etape, debut, etat) VALUES (?, ?, ?, ?)",
                    [passage, step, _now(), RUNNING])
        return int(con.execute("SELECT max(id) FROM refresh_step WHERE passage = ? AND "
                               "etape = ?", [passage, step]).fetchone()[0])


def _finish(row: int, result: StepResult) -> None:
    with db.connect(load_settings()) as con:
        con.execute("UPDATE refresh_step SET fin = ?, etat = ?, code_sortie = ?, message = ? "
                    "WHERE id = ?", [_now(), result.state, result.code, result.message[:2000],
                                     row])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class _Tee(io.TextIOBase):
    """Writes to the real stderr and keeps the text, so the journal can say why."""

    def __init__(self, real: TextIO) -> None:
        self.real, self.kept = real, io.StringIO()

    def write(self, text: str) -> int:
        self.real.write(text)
        self.kept.write(text)
        return len(text)

    def flush(self) -> None:
        self.real.flush()


def _cli(argv: list[str]) -> tuple[int, str]:
    """Run a command in this process; (exit code, its last « Erreur : » line)."""
    from odlab_compliance.cli import main

    tee = _Tee(sys.stderr)
    with contextlib.redirect_stderr(tee):
        code = main(argv)
    errors = [line for line in tee.kept.getvalue().splitlines()
              if line.startswith("Erreur")]
    return code, errors[-1] if errors else ""


def _has_command(name: str) -> bool:
    from odlab_compliance.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return name in sub.choices


def _stale_agents(days: int, limit: int) -> list[str]:
    with db.connect(load_settings()) as con:
        if not con.execute("SELECT count(*) FROM agents").fetchone()[0]:
            return []
        rows = con.execute(db.sql("refresh_stale_agents"),
                           {"source": AGENTS_SOURCE, "days": days, "limit": limit}).fetchall()
    return [r[0] for r in rows]


def _digest_ready(path: Path | None) -> str | None:
    """Why the digest cannot be sent here (None: it can)."""
    sec = auth.read_secrets([path] if path else auth.secrets_files(PROJECT_ROOT))
    cfg = auth.config_from(sec)
    if not (cfg.territories or cfg.editors):
        return "aucun éditeur avec une adresse électronique dans les secrets"
    if not sec.get("odlab_smtp"):
        return "aucun serveur d'envoi ([odlab_smtp]) dans les secrets"
    return None


def run_step(step: str, args: argparse.Namespace, today: date) -> StepResult:
    """Run one step; never raises (a step's failure is its result)."""
    def code_of(argv: list[str]) -> StepResult:
        code, error = _cli(argv)
        return StepResult(step, OK if code == 0 else FAILED, code,
                          "terminé" if code == 0 else (error or f"code de sortie {code}"))

    try:
        if step == "moissonnage":
            return code_of([harvest_cli.COMMAND, "--quiet"])
        if step == "effectifs":
            sirens = _stale_agents(args.agents_jours, args.agents_max)
            if not sirens:
                return StepResult(step, SKIPPED, None, f"aucun effectif de l'API de plus de "
                                                       f"{args.agents_jours} jours")
            result = code_of(["agents", "fetch", "--siren", *sirens])
            result.message = f"{nombre(len(sirens))} SIREN relus : {result.message}"
            return result
        if step == "contacts":
            return code_of(["contacts", "update", "--quiet"])
        if step == "validite":
            if not _has_command("scdl"):
                return StepResult(step, SKIPPED, None, "contrôle de validité non disponible "
                                                       "dans cette version")
            return code_of(["scdl", "valider", "--quiet"])
        if step == "digest":
            wanted = DAYS.index(args.digest_jour)
            if today.weekday() != wanted:
                return StepResult(step, SKIPPED, None, f"envoyé le {args.digest_jour}")
            why = _digest_ready(args.secrets)
            if why:
                return StepResult(step, SKIPPED, None, why)
            extra = ["--secrets", str(args.secrets)] if args.secrets else []
            return code_of(["digest", "send", "--rule", args.rule, *extra])
    except Exception as exc:  # one broken step must not stop the night
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return StepResult(step, FAILED, None, f"erreur : {tb}")
    return StepResult(step, FAILED, None, "étape inconnue")


def _journal() -> int:
    with db.connect(load_settings()) as con:
        rows = con.execute("SELECT passage, etape, debut, fin, etat, code_sortie, message "
                           "FROM refresh_step ORDER BY id DESC LIMIT 30").fetchall()
    labels = {OK: "réussie", FAILED: "en échec", SKIPPED: "ignorée", RUNNING: "en cours"}
    for passage, step, start, _end, state, code, message in rows:
        print(f"{start:%d/%m/%Y %H:%M}\t{passage}\t{step}\t{labels.get(state, state)}\t"
              f"{'' if code is None else code}\t{message or ''}")
    return 0


def _refresh(args: argparse.Namespace, *, clock: Callable[[], date] = date.today) -> int:
    if args.journal:
        return _journal()
    wanted = [s.strip() for s in args.etapes.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STEPS]
    if unknown:
        from odlab_compliance.errors import InputError

        raise InputError("--etapes", f"étape(s) inconnue(s) : {', '.join(unknown)} "
                                     f"(attendu : {', '.join(STEPS)})")
    passage = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    failed = 0
    for step in [s for s in STEPS if s in wanted]:
        row = _start(passage, step)
        began = time.monotonic()
        print(f"== {step} ({STEP_LABELS[step]})", file=sys.stderr, flush=True)
        result = run_step(step, args, clock())
        _finish(row, result)
        print(f"== {step} : {result.state} — {result.message} "
              f"({nombre(time.monotonic() - began, 1)} s)", file=sys.stderr, flush=True)
        if result.state == FAILED:
            failed += STEP_BITS[step]
    return failed
