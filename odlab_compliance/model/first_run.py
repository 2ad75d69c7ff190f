"""Which reference vintages a first run should load: the newest, and the one that judges
each Observatoire edition (the vintage in force at its date, ``snapshots.vintage_for``).
Loading only the newest makes every page of a history edition open with a notice that
the edition is judged with a later reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from odlab_compliance.model.snapshots import vintage_for


def vintages_to_load(known: Sequence[int], edition_years: Iterable[int]) -> list[int]:
    """Newest first: the newest of ``known`` and the vintage each edition needs."""
    if not known:
        return []
    wanted = {max(known)}
    for year in edition_years:
        wanted.add(vintage_for(date(int(year), 12, 31), list(known)).vintage)
    return sorted(wanted, reverse=True)
