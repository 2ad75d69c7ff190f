"""`changes --territory dep:31 --from DATE --to DATE --output F`: what changed."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from odlab_compliance import db
from odlab_compliance.analysis import changes
from odlab_compliance.cli.export import add_output_options, output_format, write_export
from odlab_compliance.cli.followup import territory_arg
from odlab_compliance.config import load_settings
from odlab_compliance.model.status import StatusModel
from odlab_compliance.present import exports


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "changes", help="Changements entre deux dates (qui a commencé, arrêté, ...).",
        description="Compare les instantanés les plus récents à chacune des deux dates : "
                    "collectivités qui ont commencé à publier, cessé, dont les données sont "
                    "devenues anciennes, devenues obligées ou non (millésime), ou au statut "
                    "désormais inconnu. Écrit le tableau (--output) et, à côté, un texte par "
                    "département prêt à coller dans un courriel (même nom, extension .txt).")
    p.add_argument("--territory", default="fr", metavar="TERRITOIRE",
                   help="fr, reg:76, dep:31, epci:<siren> (défaut : fr)")
    p.add_argument("--from", dest="date_from", required=True, type=date.fromisoformat,
                   metavar="AAAA-MM-JJ", help="date de début")
    p.add_argument("--to", dest="date_to", required=True, type=date.fromisoformat,
                   metavar="AAAA-MM-JJ", help="date de fin")
    p.add_argument("--rule", default="legal", help="règle d'obligation (défaut : legal)")
    p.add_argument("--par-departement", action="store_true", dest="per_dep",
                   help="écrit aussi un tableau et un texte par département "
                        "(FICHIER-31.csv, FICHIER-31.txt, ...)")
    add_output_options(p)
    p.set_defaults(func=_changes)


def digest_path(output: str | Path) -> Path:
    return Path(output).with_suffix(".txt")


def _changes(args: argparse.Namespace) -> int:
    output_format(args)
    territory = territory_arg(args.territory)
    with db.connect(load_settings()) as con:
        comp = changes.between(StatusModel.from_connection(con), args.rule, territory,
                               args.date_from, args.date_to, changes.dep_names(con))
    code = write_export(comp.changes, args, sheet_name="changements",
                        what="changements")
    text = "\n\n".join(comp.digests().values()) or "Aucun changement sur la période.\n"
    path = digest_path(args.output)
    path.write_text(text, encoding="utf-8")
    print(f"{path} : résumé à coller dans un courriel")
    if args.per_dep:
        out = Path(args.output)
        for dep, dep_text in comp.digests().items():
            stem = out.with_name(f"{out.stem}-{dep}{out.suffix}")
            exports.write(comp.changes[comp.changes["departement"].fillna("?") == dep], stem,
                          output_format(args), sheet_name=f"changements-{dep}")
            stem.with_suffix(".txt").write_text(dep_text, encoding="utf-8")
            print(f"{stem} et {stem.with_suffix('.txt').name} : département {dep}")
    print()
    print(text)
    return code
