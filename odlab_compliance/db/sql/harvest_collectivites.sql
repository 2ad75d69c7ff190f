-- One row per collectivité of a reference vintage ($vintage, or the latest loaded when
-- NULL): what matching and territory selection need.
SELECT siren, code_insee, nom, type, departement, region, epci_siren, population_totale,
       vintage
FROM ref_collectivite
WHERE vintage = coalesce($vintage, (SELECT max(vintage) FROM ref_collectivite))
  AND siren IS NOT NULL
