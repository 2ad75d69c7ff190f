"""Shared CLI helpers: progress bars and the translation of errors into exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tqdm import tqdm

from odlab_compliance.config import load_settings
from odlab_compliance.errors import UserError

# argparse writes its own words (usage, errors, the -h line) in English through its
# module-level ``_``; the CLI speaks French, so the messages a user meets are translated
# here. Only the strings of argparse (Python 3.11-3.13) listed; others stay as they are.
ARGPARSE_FR = {
    "usage: ": "usage : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "affiche cette aide et quitte",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "choix invalide : %(value)r (choisir parmi %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s attendu) : %(value)r",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "expected one argument": "une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "ambiguous option: %(option)s could match %(matches)s":
        "option ambiguë : %(option)s peut désigner %(matches)s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
}


def _french(message: str) -> str:
    return ARGPARSE_FR.get(message, message)


def _french_n(singular: str, plural: str, n: int) -> str:
    if singular == "expected %s argument":
        return "%s valeur attendue" if n == 1 else "%s valeurs attendues"
    return singular if n == 1 else plural


argparse._ = _french            # type: ignore[attr-defined]
argparse.ngettext = _french_n   # type: ignore[attr-defined]

EXIT_OK = 0
EXIT_FAILED = 1      # the command ran but something failed (e.g. a harvest source)
EXIT_INPUT = 2       # bad input or unreachable source: nothing was written


def progress_factory(disable: bool = False) -> Callable[[str, int | None], Callable[[int], None]]:
    """A ``progress(label, total)`` for ``sources.fetch``: one tqdm bar per download."""

    def make(label: str, total: int | None) -> Callable[[int], None]:
        bar = tqdm(total=total, desc=label, unit="o", unit_scale=True, unit_divisor=1024,
                   disable=disable, leave=False, file=sys.stderr)
        return bar.update

    return make


def steps(items: list, label: str, disable: bool = False) -> tqdm:
    """A progress bar over a list of long steps (loads, pages, portals)."""
    return tqdm(items, desc=label, disable=disable, file=sys.stderr, leave=False)


def run_guarded(func: Callable[[argparse.Namespace], int | None], args: argparse.Namespace) -> int:
    """Run a command; known failures print a French message and give a non-zero code.

    The settings are checked first, whatever the command: a wrong variable is named at
    once (exit 2) instead of surfacing as a traceback deep inside a download or a load.
    """
    try:
        load_settings()
        return int(func(args) or EXIT_OK)
    except UserError as exc:  # bad input, unreachable source, vintage not loaded, ...
        print(f"Erreur : {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
