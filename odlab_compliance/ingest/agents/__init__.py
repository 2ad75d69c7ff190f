"""Agent counts (effectifs) for the 50-agent test: three loaders into the ``agents`` table.

- ``sirene``: INSEE's StockUniteLegale (CSV/Parquet), public units only, streamed;
- ``recherche_entreprises``: the API, by SIREN or by département (fetch, then ``save``);
- ``prefecture``: a prefecture's exact counts, which override the bands;
- ``detect`` tells the formats apart, ``validate`` holds the shared row checks,
  ``importer.import_file`` runs one file all-or-nothing, ``store`` writes and reads
  (``effective_agents(con)`` is what the obligation rules call).
"""
