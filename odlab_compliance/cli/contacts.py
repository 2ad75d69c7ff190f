"""`contacts update|missing|coverage`: official contacts of the collectivités from the
Annuaire de l'administration (service-public.gouv.fr)."""

from __future__ import annotations

import argparse

import pandas as pd

from odlab_compliance import db, vocab
from odlab_compliance.cli.common import progress_factory
from odlab_compliance.cli.export import add_output_options, output_format, write_export
from odlab_compliance.cli.followup import add_territory_options, territory_arg
from odlab_compliance.config import load_settings
from odlab_compliance.fmt import nombre, pourcentage
from odlab_compliance.ingest import contacts
from odlab_compliance.model.status import StatusModel
from odlab_compliance.outreach import followup, letters

MISSING_LABELS = {"siren": "SIREN", "nom": "Nom", "type": "Type", "departement": "Dép.",
                  "obligation": "Obligation", "telephone": "Téléphone (annuaire)",
                  "probleme": "Pourquoi pas de courriel"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("contacts", help="Contacts officiels (Annuaire de l'administration).",
                       description="Adresse, courriel, téléphone et site des mairies, "
                                   "intercommunalités, départements et régions, d'après "
                                   "l'Annuaire de l'administration (service-public.gouv.fr, "
                                   "DILA), apparié au référentiel par SIRET, code INSEE ou "
                                   "siège.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    u = s.add_parser("update", help="Télécharge l'annuaire et remplace les contacts.")
    u.add_argument("--cache", action="store_true",
                   help="reprend le fichier du cache au lieu de le télécharger de nouveau")
    u.add_argument("--quiet", action="store_true", help="sans barre de progression")
    u.set_defaults(func=_update)
    m = s.add_parser("missing", help="Liste les collectivités sans adresse électronique.")
    add_territory_options(m)
    m.add_argument("--toutes", action="store_true",
                   help="toutes les collectivités (défaut : les obligées seulement)")
    add_output_options(m)
    m.set_defaults(func=_missing)
    c = s.add_parser("coverage", help="Part des collectivités obligées joignables par "
                                      "courriel.")
    add_territory_options(c)
    c.set_defaults(func=_coverage)


def _update(args: argparse.Namespace) -> int:
    settings = load_settings()
    with db.connect(settings) as con:
        load = contacts.update(con, settings, refresh=not args.cache,
                               progress=progress_factory(disable=args.quiet))
    print(load.summary())
    return 0


def _reach(args: argparse.Namespace, obliged_only: bool) -> pd.DataFrame:
    with db.connect(load_settings()) as con:
        at = StatusModel.from_connection(con).status_at(territory_arg(args.territory),
                                                        args.rule, args.snapshot)
        frame = at.frame
        if obliged_only:
            frame = frame[frame["obligation"].eq(vocab.OBLIGEE)]
        return letters.reachability(frame, contacts.official(con), followup.state(con))


def _missing(args: argparse.Namespace) -> int:
    output_format(args)
    reach = _reach(args, not args.toutes)
    out = reach[reach["probleme"].notna()].copy()
    out["type"] = vocab.TYPE.labelled(out["type"])
    out["obligation"] = vocab.OBLIGATION.labelled(out["obligation"])
    out = out[list(MISSING_LABELS)].rename(columns=MISSING_LABELS)
    return write_export(out, args, sheet_name="sans courriel",
                        what="collectivités sans adresse électronique")


def _coverage(args: argparse.Namespace) -> int:
    reach = _reach(args, True)
    n = len(reach)
    ok = int(reach["probleme"].isna().sum())
    share = pourcentage(ok / n if n else None, 1, vide="sans objet")
    print(f"{args.territory} ({args.rule}) : {nombre(ok)} collectivités obligées sur "
          f"{nombre(n)} ont une adresse électronique ({share}).")
    for kind, group in reach.groupby("type"):
        k_ok = int(group["probleme"].isna().sum())
        print(f"  {vocab.TYPE.label(kind)} : {nombre(k_ok)} / {nombre(len(group))}")
    return 0
