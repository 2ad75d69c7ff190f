"""Shared CLI helpers: progress bars and the translation of errors into exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tqdm import tqdm

from odlab_compliance.config import load_settings
from odlab_compliance.errors import UserError

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
