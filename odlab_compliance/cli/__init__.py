"""`python -m odlab_compliance ...`: one sub-command family per module of this package.

Each module of ``odlab_compliance.cli`` (except ``common``) defines
``register(subparsers)``; adding a command never edits this file.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from odlab_compliance.cli.common import run_guarded


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m odlab_compliance",
        description="Obligation d'ouverture des données des collectivités : référentiels, "
                    "moissonnage, exports.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE", required=True)
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_guarded(args.func, args)


if __name__ == "__main__":
    sys.exit(main())
