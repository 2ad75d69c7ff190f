"""`followup export|import|note`: the prefecture's follow-up log from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import duckdb

from odlab_compliance import auth, db
from odlab_compliance.cli.common import EXIT_OK
from odlab_compliance.cli.export import add_output_options, output_format, write_export
from odlab_compliance.config import PROJECT_ROOT, load_settings
from odlab_compliance.errors import InputError
from odlab_compliance.outreach import followup, followup_import
from odlab_compliance.territory import Territory, sirens_within

# Some lines of an import need the editor's confirmation (--force): nothing was written.
EXIT_CONFIRM = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("followup", help="Suivi des collectivités : export, import, note.",
                       description="Suivi des collectivités par la préfecture : étapes "
                                   "(a_contacter, contacte, accompagne, publie, verifie), notes "
                                   "datées, prochaine action, contact. Chaque changement est "
                                   "ajouté au journal avec son auteur.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    e = s.add_parser("export", help="Exporte l'état du suivi, le journal ou la liste des "
                                    "collectivités en retard.")
    what = e.add_mutually_exclusive_group()
    what.add_argument("--journal", action="store_true",
                      help="exporte le journal complet (une ligne par changement)")
    what.add_argument("--retard", action="store_true",
                      help="exporte la liste de suivi du territoire : obligées en retard, "
                           "obligées au statut à évaluer (la source ne permet pas de "
                           "conclure) et obligations à vérifier (effectif à obtenir), avec "
                           "leur suivi")
    add_territory_options(e)
    add_output_options(e)
    e.set_defaults(func=_export)
    i = s.add_parser("import", help="Importe un tableau de suivi (CSV ou XLSX), par "
                                    "exemple un export de l'application modifié.",
                     description="Colonnes lues : " + " ; ".join(
                         f"{k} ({v})" for k, v in followup_import.COLUMNS.items())
                     + ". Les autres colonnes des exports de l'application sont ignorées ; "
                       "seul ce qui diffère du suivi actuel est enregistré (une cellule vide "
                       "ne change rien). Tout le fichier est vérifié et comparé au suivi "
                       "enregistré avant d'écrire, et l'aperçu des changements est affiché : "
                       "au moindre problème, rien n'est enregistré. Une ligne plus ancienne "
                       "que le suivi enregistré (fichier exporté avant un changement plus "
                       "récent) ou qui ferait reculer une étape n'est enregistrée qu'avec "
                       "--force ; sans --force, rien n'est enregistré et la commande sort "
                       "avec le code 3 en nommant ces lignes. Un éditeur limité à des "
                       "territoires dans les secrets (odlab_editor_territories) ne peut "
                       "modifier que ceux-ci.")
    i.add_argument("fichier", metavar="FICHIER")
    i.add_argument("--editeur", help="nom inscrit au journal (défaut : cli:<utilisateur>)")
    i.add_argument("--force", action="store_true",
                   help="accepte aussi les lignes plus anciennes que le suivi enregistré et "
                        "les étapes qui reculent (après les avoir vérifiées dans l'aperçu)")
    i.add_argument("--apercu", action="store_true",
                   help="affiche seulement ce qui serait enregistré, sans rien écrire")
    i.set_defaults(func=_import)
    n = s.add_parser("note", help="Ajoute une note (et éventuellement une étape) à une "
                                  "collectivité.")
    n.add_argument("siren")
    n.add_argument("texte")
    n.add_argument("--etape", choices=list(followup.STAGES))
    n.add_argument("--date", type=date.fromisoformat, metavar="AAAA-MM-JJ",
                   help="date de la note (défaut : aujourd'hui)")
    n.add_argument("--editeur", help="nom inscrit au journal (défaut : cli:<utilisateur>)")
    n.set_defaults(func=_note)


def add_territory_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--territory", default="fr", metavar="TERRITOIRE",
                   help="fr, reg:76, dep:31, epci:<siren> ou com:<code insee> (défaut : fr)")
    p.add_argument("--rule", default="legal", help="règle d'obligation (défaut : legal)")
    p.add_argument("--snapshot", default="latest",
                   help="instantané : latest, un numéro ou une date AAAA-MM-JJ")


def territory_arg(text: str) -> Territory:
    """A territory from the command line; unlike a URL, a typo is an error, not France."""
    try:
        return Territory.from_cli(text)
    except ValueError as exc:
        raise InputError("--territory", str(exc)) from None


def _export(args: argparse.Namespace) -> int:
    output_format(args)  # a bad extension fails before any work
    with db.connect(load_settings()) as con:
        if args.journal:
            df, what = followup.log(con), "journal du suivi"
        elif args.retard:
            df = followup.worklist_for(con, args.rule, territory_arg(args.territory),
                                       args.snapshot)
            what = f"liste de suivi ({args.territory})"
        else:
            df, what = followup.state_with_names(con), "état du suivi"
    return write_export(df, args, sheet_name="suivi", what=what)


def editor_scope(con: duckdb.DuckDBPyConnection, editor: str
                 ) -> tuple[set[str] | None, str]:
    """(SIRENs the editor may write for, or None when not limited; the territories as
    text): the dashboard's ``odlab_editor_territories`` applied to ``--editeur``."""
    cfg = auth.config_from(auth.read_secrets(auth.secrets_files(PROJECT_ROOT)))
    if cfg.problems:
        raise InputError("secrets", "territoire illisible : " + " ; ".join(cfg.problems))
    keys = auth.cli_territories(cfg, editor)
    if not keys:
        return None, ""
    ref = con.execute(
        "SELECT siren, type, code_insee, departement, region, epci_siren FROM "
        "ref_collectivite WHERE siren IS NOT NULL QUALIFY row_number() OVER "
        "(PARTITION BY siren ORDER BY vintage DESC) = 1").df()
    return sirens_within(ref, keys), ", ".join(keys)


def _import(args: argparse.Namespace) -> int:
    editor = auth.cli_editor(args.editeur)
    data = followup_import.read_file(args.fichier)
    name = Path(args.fichier).name
    with db.connect(load_settings()) as con:
        allowed, scope = editor_scope(con, editor)
        plan = followup_import.plan_bytes(con, data, name, allowed=allowed, scope=scope)
        print(preview_text(plan))
        if args.apercu:
            return EXIT_OK
        waiting = plan.to_confirm()
        if waiting and not args.force:
            print(f"Erreur : {followup_import.refusal(plan, waiting)}", file=sys.stderr)
            return EXIT_CONFIRM
        n = followup_import.apply(con, plan, editor=editor, force=args.force,
                                  allowed=allowed, scope=scope)
    print(f"{args.fichier} : {n} changement(s) ajouté(s) au journal du suivi")
    return EXIT_OK


def preview_text(plan: followup_import.Plan) -> str:
    """The import's preview for a terminal: columns read and ignored, then each line
    that changes something, those to confirm marked."""
    out = [f"{plan.name} : colonnes lues : {', '.join(plan.read) or 'aucune'}"]
    if plan.ignored:
        out.append(f"  colonnes ignorées (non modifiables par import) : "
                   f"{', '.join(plan.ignored)}")
    out.append(f"  {len(plan.lines)} ligne(s) changent le suivi, {plan.unchanged} ne "
               "changent rien")
    for x in plan.lines:
        mark = "À CONFIRMER " if x.needs_confirmation else ""
        out.append(f"  ligne {x.line} ({x.siren}) : {mark}{' ; '.join(x.edits)}")
        out += [f"      ! {w}" for w in x.warnings]
    return "\n".join(out)


def _note(args: argparse.Namespace) -> int:
    change = followup.Change(args.siren, etape=args.etape, note=args.texte,
                             date_effet=args.date)
    editor = auth.cli_editor(args.editeur)
    with db.connect(load_settings()) as con:
        allowed, scope = editor_scope(con, editor)
        n = followup.record(con, [change], editor=editor, origin="cli",
                            known_sirens=followup.known_sirens(con), allowed=allowed,
                            scope=scope)
    print(f"{args.siren} : {n} changement(s) ajouté(s) au journal du suivi")
    return 0
