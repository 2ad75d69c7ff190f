-- Grain: one row per public legal unit (catégorie juridique 7xxx) of a Sirene
-- StockUniteLegale file, in file order. Only four columns are read, and the filter runs
-- while the file streams: a several-GB stock never sits in memory.
-- {reader} is one of the constants READERS of odlab_compliance/ingest/agents/sirene.py (read_csv
-- or read_parquet); the file path and the CSV options are bound parameters.
CREATE OR REPLACE TEMP TABLE agents_sirene_stage AS
SELECT trim(CAST(siren AS VARCHAR))                          AS siren,
       trim(CAST(categorieJuridiqueUniteLegale AS VARCHAR))  AS categorie,
       trim(CAST(trancheEffectifsUniteLegale AS VARCHAR))    AS tranche,
       trim(CAST(anneeEffectifsUniteLegale AS VARCHAR))      AS annee,
       {row_number}                                          AS file_row
FROM {reader}
WHERE trim(CAST(categorieJuridiqueUniteLegale AS VARCHAR)) LIKE '7%'
