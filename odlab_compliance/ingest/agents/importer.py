"""``agents import FILE``: detect the format, parse and check it all, then write it all.

Nothing is written unless the whole file is valid: parsing raises ``InputError`` before
any write, and the write itself is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from odlab_compliance.fmt import nombre
from odlab_compliance.ingest.agents import prefecture, sirene, store
from odlab_compliance.ingest.agents.detect import PREFECTURE_CSV, detect


@dataclass
class ImportReport:
    file: str
    kind_label: str
    source: str
    written: int
    replaced: int                 # rows of the same source removed before writing
    unknown_bands: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What happened, in French, for the end of the command."""
        lines = [f"{self.file} : {self.kind_label}."]
        if self.source == sirene.SOURCE:
            lines.append(f"{nombre(self.written)} unité(s) publique(s) (catégorie juridique "
                         f"7xxx) enregistrée(s), dont {nombre(self.unknown_bands)} sans tranche "
                         "connue (NN ou vide : effectif inconnu, pas zéro).")
            lines.append(f"Les {nombre(self.replaced)} ligne(s) Sirene précédente(s) ont été "
                         "remplacées.")
        else:
            lines.append(f"{nombre(self.written)} effectif(s) de préfecture enregistré(s) "
                         f"({nombre(self.replaced)} déjà présent(s) mis à jour) ; ils "
                         "priment sur les tranches Sirene.")
        lines += [f"Attention : {n}." for n in self.notes]
        return "\n".join(lines)


def import_file(con: duckdb.DuckDBPyConnection, path: str | Path,
                step: Callable[[str], None] | None = None,
                progress: Callable[[float], None] | None = None) -> ImportReport:
    """Import an agent file into ``agents``; raise ``InputError`` (nothing written) if bad.

    ``step`` is told each phase (a French label); ``progress`` the percentage of a Sirene
    stock read so far (the long part).
    """
    step = step or (lambda label: None)
    step("détection du format")
    fmt = detect(path)
    name = fmt.path.name
    if fmt.kind == PREFECTURE_CSV:
        step("contrôle des lignes")
        rows = prefecture.parse_prefecture(fmt)
        step("écriture")
        before = store.count_source(con, prefecture.SOURCE, rows["siren"].to_list())
        written = store.upsert(con, rows, prefecture.SOURCE)
        return ImportReport(name, fmt.label, prefecture.SOURCE, written, int(before),
                            notes=list(fmt.notes))
    step("lecture du stock (unités publiques)")
    loaded = sirene.load_sirene(con, fmt, progress)
    step("écriture")
    before = store.count_source(con, sirene.SOURCE)
    written = store.replace_source(con, loaded.rows, sirene.SOURCE)
    notes = list(dict.fromkeys(list(fmt.notes) + loaded.notes))
    return ImportReport(name, fmt.label, sirene.SOURCE, written, before,
                        loaded.unknown_bands, notes)
