"""`harvest [--source ...] [--territory ...]` and `harvest runs`."""

from __future__ import annotations

import argparse
import sys

from odlab_compliance import db, vocab
from odlab_compliance.cli.common import EXIT_FAILED, EXIT_INPUT, progress_factory
from odlab_compliance.config import load_settings
from odlab_compliance.fmt import date_fr, date_heure_fr
from odlab_compliance.ingest.harvest import journal
from odlab_compliance.ingest.harvest.run import HARVEST_LEVELS, SOURCES, RunResult, run_harvest
from odlab_compliance.territory import Territory

# The command's name: also what the first-run page and `refresh` start.
COMMAND = "harvest"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        COMMAND, help="Moissonne data.gouv.fr, les portails et l'Observatoire (instantané daté).",
        description="Moissonne les sources de publication et enregistre un instantané daté, "
                    "visible seulement quand le moissonnage est terminé. Code de sortie non nul "
                    "si une source a échoué (pour un ordonnanceur). « harvest runs » affiche "
                    "le journal des moissonnages.")
    p.add_argument("--source", action="append", choices=SOURCES, metavar="SOURCE",
                   help="source à moissonner (répétable) : datagouv, portals ou observatoire ; "
                        "par défaut toutes")
    p.add_argument("--territory", metavar="TERRITOIRE",
                   help="rafraîchit un territoire seulement : dep:31, reg:76 ou epci:<siren> "
                        "(le reste de l'instantané précédent est repris)")
    p.add_argument("--catalogue-complet", action="store_true", dest="full_catalogue",
                   help="lit les exports complets de data.gouv.fr (pas seulement le badge "
                        "« local-authority ») et garde aussi les organisations dont le SIRET "
                        "est celui d'une collectivité connue")
    p.add_argument("--rate", type=float, default=4.0, metavar="N",
                   help="requêtes par seconde au plus vers data.gouv.fr (défaut : 4)")
    p.add_argument("--quiet", action="store_true", help="sans barres de progression")
    p.add_argument("--scdl-max", type=int, default=None, metavar="N", dest="scdl_max",
                   help="après le moissonnage, vérifie au plus N fichiers SCDL nouveaux ou "
                        "modifiés (défaut : 200 ; 0 : aucun, voir « scdl valider »)")
    p.set_defaults(func=_harvest)
    s = p.add_subparsers(dest="action", metavar="ACTION")
    r = s.add_parser("runs", help="Journal des moissonnages (statut, sources, erreurs).")
    r.add_argument("--limit", type=int, default=20, help="nombre de moissonnages affichés")
    r.set_defaults(func=_runs)


def _harvest(args: argparse.Namespace) -> int:
    if args.territory:
        try:
            Territory.from_cli(args.territory, HARVEST_LEVELS)
        except ValueError as exc:
            print(f"Erreur : {exc}", file=sys.stderr)
            return EXIT_INPUT
    result = run_harvest(load_settings(), sources=args.source, territory=args.territory,
                         full_catalogue=args.full_catalogue, rate=args.rate,
                         progress=progress_factory(disable=args.quiet))
    shown = result.outcomes
    if len(shown) > 12:  # ~200 portals: list the failures, count the rest
        ok = [o for o in shown if o.ok and not o.item_errors]
        print(f"  {len(ok)} source(s) sans erreur")
        shown = [o for o in shown if o not in ok]
    for o in shown:
        mark = "ok" if o.ok else "ÉCHEC"
        extra = f" — {o.error}" if o.error else ""
        errs = f", {len(o.item_errors)} erreur(s) d'élément" if o.item_errors else ""
        print(f"  {o.source_key} : {mark}, {o.items} élément(s){errs}{extra}")
    _validate_scdl(args, result)
    label = vocab.RUN_STATUS.label(result.status).lower()
    run = f"moissonnage {result.run_id}" if result.run_id else "import"
    print(f"{run} : {label}" + (f" ({result.message})" if result.message else ""))
    if result.status == vocab.RUN_FAILED or result.failed_sources:
        print("Au moins une source a échoué : les collectivités qui en dépendent sont en "
              "statut « inconnu ». Voir « harvest runs ».", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _validate_scdl(args: argparse.Namespace, result: RunResult) -> None:
    """Validate the new snapshot's new or changed SCDL files (bounded); a failure here
    never changes the harvest's exit code: files stay « pas encore vérifiés »."""
    from odlab_compliance.cli import scdl as scdl_cli

    limit = 200 if args.scdl_max is None else args.scdl_max
    if limit <= 0 or result.run_id is None or result.status == vocab.RUN_FAILED:
        return
    done = scdl_cli.validate_latest(load_settings(), limit, quiet=args.quiet)
    if done is not None:
        print("  " + scdl_cli.report(done))


def _runs(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not settings.db_path.exists():
        print("Aucun moissonnage (base absente).")
        return 0
    with db.connect(settings, read_only=True) as con:
        df = journal.runs_with_errors(con).head(args.limit)
    if df.empty:
        print("Aucun moissonnage.")
        return 0
    for r in df.itertuples():
        end = date_heure_fr(r.ended_at, vide="—")
        print(f"#{r.run_id}\t{vocab.SNAPSHOT_KIND.label(r.kind)}\t"
              f"{vocab.RUN_STATUS.label(r.status).lower()}\t"
              f"{date_heure_fr(r.started_at)} → {end}\tinstantané du {date_fr(r.snapshot_date)}\t"
              f"{r.territory or 'France entière'}\tsources ok {r.sources_ok}, en échec "
              f"{r.sources_failed}, erreurs {r.item_errors}")
        for text in (r.message, r.failures, r.erreurs):
            if isinstance(text, str) and text:
                print(f"\t{text}")
    return 0
