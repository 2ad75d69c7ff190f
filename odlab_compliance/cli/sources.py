"""`sources list|fetch`: what the project reads, and a way to fill the cache."""

from __future__ import annotations

import argparse

from odlab_compliance.cli.common import EXIT_FAILED, progress_factory
from odlab_compliance.config import load_settings
from odlab_compliance.ingest.sources import all_sources, fetch, get_source


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sources", help="Sources officielles : liste et téléchargement.",
                       description="Liste les sources officielles (URL, millésime, licence) "
                                   "ou les télécharge dans le cache.")
    s = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = s.add_parser("list", help="Liste les sources avec URL, millésime et licence.")
    ls.set_defaults(func=_list)
    f = s.add_parser("fetch", help="Télécharge une source (ou la prend dans le miroir).")
    f.add_argument("source_id")
    f.add_argument("--vintage", type=int, required=True, help="millésime, ex. 2026")
    f.add_argument("--refresh", action="store_true", help="ignore le cache")
    f.set_defaults(func=_fetch)
    c = s.add_parser(
        "check", help="Vérifie chaque source : répond-elle, au format attendu ?",
        description="Pour chaque source officielle : d'où elle serait lue (miroir, site "
                    "officiel), si elle répond, si son format est celui qu'attend le projet "
                    "(colonnes, séparateur, page HTML), son millésime, sa taille, sa date et "
                    "quoi faire en cas de problème. Code de sortie 1 quand une source requise "
                    "est absente ou a changé de format. À lancer avant une mise à jour.")
    c.set_defaults(func=_check)


def _list(args: argparse.Namespace) -> int:
    settings = load_settings()
    for s in all_sources():
        print(f"{s.id}\t{s.vintage}\t{s.format}\t{s.licence}\t{s.url(settings) or '(miroir seulement)'}")
    return 0


def _fetch(args: argparse.Namespace) -> int:
    result = fetch(get_source(args.source_id, args.vintage), load_settings(),
                   progress=progress_factory(), refresh=args.refresh)
    print(f"{result.path}\t{result.origin}\t{result.size} octets\tsha256={result.sha256}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from odlab_compliance.ingest.source_check import check_all
    from odlab_compliance.present import sources_check

    checks = check_all(load_settings())
    table = sources_check.table(checks)
    for row in table.to_dict("records"):
        print(f"[{sources_check.state(row)}] {row['Identifiant']} {row['Millésime']} — {row['Source']}")
        print(f"    lue depuis : {row['Lue depuis']} ; répond : {row['Répond']} ; format "
              f"attendu : {row['Format attendu']} ; taille : {row['Taille'] or 'inconnue'} ; "
              f"date : {row['Date'] or 'inconnue'} ; requise : {row['Requise']}")
        if row["Adresse"]:
            print(f"    adresse : {row['Adresse']}")
        if row["Trouvée par"]:
            print(f"    trouvée par : {row['Trouvée par']}")
        if row["Problème"]:
            print(f"    problème : {row['Problème']}")
        if row["Remarque"]:
            print(f"    remarque : {row['Remarque']}")
        if row["À faire"]:
            print(f"    à faire : {row['À faire']}")
    print(sources_check.summary(checks))
    return EXIT_FAILED if any(c.failed for c in checks) else 0
