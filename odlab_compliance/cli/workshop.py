"""`workshop list|export ID`: the recorded workshops and their invitation lists."""

from __future__ import annotations

import argparse

from odlab_compliance import db
from odlab_compliance.cli.export import add_output_options, output_format, write_export
from odlab_compliance.config import load_settings
from odlab_compliance.fmt import date_fr
from odlab_compliance.outreach import workshops


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("workshop", help="Ateliers : liste, export des invités.",
                       description="Ateliers enregistrés depuis le tableau de bord (page "
                                   "Atelier) : liste, et liste des invités avec leur présence.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = s.add_parser("list", help="Liste les ateliers (date, lieu, invités, présents).")
    ls.set_defaults(func=_list)
    e = s.add_parser("export", help="Exporte la liste des invités d'un atelier.")
    e.add_argument("id", type=int, metavar="ID", help="numéro de l'atelier (voir « workshop list »)")
    add_output_options(e)
    e.set_defaults(func=_export)


def _list(args: argparse.Namespace) -> int:
    with db.connect(load_settings()) as con:
        df = workshops.list_workshops(con)
    if df.empty:
        print("Aucun atelier enregistré.")
    for r in df.to_dict("records"):
        print(f"{r['id']}\t{date_fr(r['date_atelier'])}\t{r['titre']}\t{r['lieu_nom'] or ''}\t"
              f"{r['nb_invites']} invité(s), {r['nb_presents']} présent(s)")
    return 0


def _export(args: argparse.Namespace) -> int:
    output_format(args)
    with db.connect(load_settings()) as con:
        df = workshops.export_frame(con, args.id)
    return write_export(df, args, sheet_name=f"atelier-{args.id}",
                        what=f"invités de l'atelier {args.id}")
