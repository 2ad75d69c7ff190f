"""`sources list|fetch`: what the project reads, and a way to fill the cache."""

from __future__ import annotations

import argparse

from odlab_compliance.cli.common import progress_factory
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
