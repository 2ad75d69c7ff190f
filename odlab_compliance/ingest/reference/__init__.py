"""Reference data: official COG files, SIREN table and outlines -> ``ref_*`` tables.

Modules: ``jsonfile`` (JSON reading with located errors), ``cog`` and ``siren``
(parsers), ``build`` (rows of the collectivités, statuts particuliers), ``geometry``
(outlines, simplification, centroids), ``load`` (``load_vintage``: fetch, build, write
one vintage in one transaction). Kept import-light: ``load`` pulls geopandas/topojson.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from odlab_compliance.ingest.reference.load import load_vintage

__all__ = ["load_vintage"]


def __getattr__(name: str) -> Any:  # noqa: ANN401 (module attribute, PEP 562)
    # Lazy so that importing a parser (``reference.cog``) does not pull geopandas.
    if name == "load_vintage":
        from odlab_compliance.ingest.reference.load import load_vintage

        return load_vintage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
