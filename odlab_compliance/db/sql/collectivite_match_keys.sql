-- Grain: one row per collectivité (with a SIREN) of one reference vintage ($vintage): what
-- matching and territory selection need.
SELECT siren, code_insee, nom, type, departement, region, epci_siren, population_totale,
       vintage
FROM ref_collectivite
WHERE vintage = $vintage
  AND siren IS NOT NULL
