-- Grain: one row per SIREN of the reference: the collectivité as its newest loaded vintage
-- describes it (identity, hierarchy, population).
SELECT siren, code_insee, nom, type, departement, epci_siren, population_totale
FROM ref_collectivite
WHERE siren IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY siren ORDER BY vintage DESC) = 1
