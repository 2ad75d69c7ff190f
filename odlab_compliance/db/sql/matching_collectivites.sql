-- Grain: one row per collectivité and loaded reference vintage: what the matching needs
-- to index a vintage and to read the others as its history (successions, former names).
SELECT vintage, siren, code_insee, nom, type, departement, region, epci_siren, ept_siren,
       population_totale
FROM ref_collectivite
WHERE siren IS NOT NULL
ORDER BY vintage, type, code_insee
