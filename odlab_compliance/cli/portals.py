"""`portals list|add`: the registry of local and shared open-data portals."""

from __future__ import annotations

import argparse
import sys

from odlab_compliance import db
from odlab_compliance.auth import os_user
from odlab_compliance.cli.common import EXIT_INPUT
from odlab_compliance.cli.match import bad_siren
from odlab_compliance.config import load_settings
from odlab_compliance.ingest.harvest import portals as registry


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("portals", help="Portails open data locaux et mutualisés : registre.",
                       description="Registre des portails moissonnés : la liste des plateformes "
                                   "de l'Observatoire open data des territoires, plus les "
                                   "portails ajoutés par les utilisateurs.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = s.add_parser("list", help="Liste les portails (technologie, mutualisé ou non, origine).")
    ls.add_argument("--pris-en-charge", action="store_true", dest="supported",
                    help="seulement les portails dont la technologie est moissonnée")
    ls.set_defaults(func=_list)
    add = s.add_parser("add", help="Ajoute un portail au registre.",
                       description="Ajoute un portail (Opendatasoft, CKAN, flux DCAT ArcGIS Hub "
                                   "ou data.json). Un portail ajouté remplace celui de la liste "
                                   "de l'Observatoire qui aurait le même hôte.")
    add.add_argument("--url", required=True, help="adresse du portail, ex. https://data.exemple.fr")
    add.add_argument("--techno", required=True, choices=list(registry.SUPPORTED),
                     help="technologie du portail")
    add.add_argument("--nom", required=True, help="nom du portail")
    add.add_argument("--siren", help="SIREN de l'organisme qui porte le portail")
    add.add_argument("--heberge", default="",
                     help="SIREN des organismes hébergés, séparés par des virgules")
    add.add_argument("--partage", action="store_true",
                     help="portail mutualisé (héberge plusieurs organismes)")
    add.add_argument("--note", help="remarque libre")
    add.add_argument("--auteur", help="qui ajoute (par défaut : l'utilisateur du système)")
    add.set_defaults(func=_add)
    for action, active, text in (("disable", False, "Désactive un portail : il n'est plus moissonné."),
                                 ("enable", True, "Réactive un portail désactivé.")):
        sw = s.add_parser(action, help=text, description=text)
        sw.add_argument("portal_id", help="identifiant du portail (voir « portals list »)")
        sw.add_argument("--note", help="raison, en clair")
        sw.add_argument("--auteur", help="qui décide (par défaut : l'utilisateur du système)")
        sw.set_defaults(func=_switch, active=active)


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    with db.connect(settings) as con:
        portals = registry.load_portal_registry(con, settings)
    print("id\ttechnologie\tmutualise\torigine\tactif\turl")
    for p in portals:
        if args.supported and not p.supported:
            continue
        print(f"{p.id}\t{p.technology}\t{'oui' if p.shared else 'non'}\t{p.origin}\t"
              f"{'oui' if p.active else 'non'}\t{p.url}")
    return 0


def _add(args: argparse.Namespace) -> int:
    sirens = [s.strip() for s in args.heberge.split(",") if s.strip()]
    if args.siren:
        sirens.insert(0, args.siren.strip())
    if bad_siren(sirens):
        return EXIT_INPUT
    auteur = args.auteur or os_user()
    with db.connect(load_settings()) as con:
        try:
            pid = registry.add_user_portal(
                con, nom=args.nom, url=args.url, techno=args.techno,
                siren=args.siren.strip() if args.siren else None,
                heberges=[s for s in sirens if s != (args.siren or "").strip()],
                partage=args.partage, note=args.note, auteur=auteur)
        except ValueError as exc:
            print(f"Erreur : {exc}. Rien n'a été enregistré.", file=sys.stderr)
            return EXIT_INPUT
    print(f"Portail ajouté : {pid} ({args.techno}, {args.url})")
    return 0


def _switch(args: argparse.Namespace) -> int:
    settings = load_settings()
    with db.connect(settings) as con:
        known = {p.id for p in registry.load_portal_registry(con, settings)}
        if args.portal_id not in known:
            print(f"Erreur : portail « {args.portal_id} » inconnu (voir « portals list »). "
                  "Rien n'a été enregistré.", file=sys.stderr)
            return EXIT_INPUT
        registry.set_portal_active(con, args.portal_id, args.active, note=args.note,
                                   auteur=args.auteur or os_user())
    print(f"Portail {args.portal_id} {'réactivé' if args.active else 'désactivé'}.")
    return 0
