"""What the benchmarks share: the mirror they build their databases from."""

from __future__ import annotations

import os
from pathlib import Path


def mirror_dir(what: str = "benchmark") -> Path | None:
    """``ODLAB_MIRROR_DIR`` resolved, or None (said on stdout) when unset or missing:
    a benchmark without the official files skips instead of failing."""
    mirror = os.environ.get("ODLAB_MIRROR_DIR")
    if not mirror or not Path(mirror).is_dir():
        print(f"ODLAB_MIRROR_DIR n'est pas défini : {what} ignoré")
        return None
    return Path(mirror).resolve()
