"""`scdl valider [--max N]`: check the SCDL files of the latest snapshot against their
schemas (only new or changed files, at most N per run)."""

from __future__ import annotations

import argparse

from odlab_compliance import db, vocab
from odlab_compliance.cli.common import progress_factory
from odlab_compliance.config import Settings, load_settings
from odlab_compliance.fmt import nombre
from odlab_compliance.ingest import scdl
from odlab_compliance.ingest.harvest import journal


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scdl", help="Vérifie les fichiers SCDL du dernier moissonnage (Validata).",
        description="Vérifie, avec Validata, les fichiers qui déclarent un schéma SCDL "
                    "contre la version de leur schéma (schema.data.gouv.fr). Seuls les "
                    "fichiers nouveaux ou modifiés (somme de contrôle, taille ou date) sont "
                    "vérifiés, au plus --max par passage ; les autres restent « pas encore "
                    "vérifiés » jusqu'au passage suivant.")
    s = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    v = s.add_parser("valider", help="Vérifie les fichiers nouveaux ou modifiés.")
    v.add_argument("--max", type=int, default=scdl.DEFAULT_PER_RUN, metavar="N",
                   help=f"fichiers vérifiés au plus (défaut : {scdl.DEFAULT_PER_RUN})")
    v.add_argument("--quiet", action="store_true", help="sans barre de progression")
    v.set_defaults(func=_validate)


def report(result: scdl.ValidationRun) -> str:
    """One French line: what this pass did and what is left."""
    parts = [f"{nombre(n)} {vocab.SCDL_ETAT.label(s).lower()}"
             for s, n in sorted(result.by_state.items())]
    done = f"{nombre(result.validated)} fichier(s) SCDL vérifié(s)"
    if parts:
        done += " (" + ", ".join(parts) + ")"
    return f"{done} ; {nombre(result.remaining)} pas encore vérifié(s)."


def validate_latest(settings: Settings, limit: int, quiet: bool = True) -> scdl.ValidationRun | None:
    """Validate the latest harvest snapshot's pending files (None: no snapshot yet)."""
    with db.connect(settings) as con:
        run_id = journal.latest_visible(con, vocab.KIND_HARVEST)
    if run_id is None:
        return None
    bar = progress_factory(disable=quiet)("fichiers SCDL", limit)
    return scdl.validate_pending(settings, run_id, limit=limit, tick=bar)


def _validate(args: argparse.Namespace) -> int:
    result = validate_latest(load_settings(), args.max, quiet=args.quiet)
    if result is None:
        print("Aucun moissonnage : rien à vérifier.")
        return 0
    print(report(result))
    return 0
