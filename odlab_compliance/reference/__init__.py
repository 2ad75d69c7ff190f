"""Reference data: official COG files, SIREN table and outlines -> ``ref_*`` tables.

Modules: ``jsonfile`` (JSON reading with located errors), ``cog`` and ``siren``
(parsers), ``build`` (rows of the collectivités, statuts particuliers), ``geometry``
(outlines, simplification, centroids), ``load`` (``load_vintage``: fetch, build, write
one vintage in one transaction). Kept import-light: ``load`` pulls geopandas/topojson.
"""
