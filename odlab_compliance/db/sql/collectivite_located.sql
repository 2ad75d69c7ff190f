-- Grain: one row per collectivité of a vintage: identity, hierarchy, population, centroid.
SELECT siren, code_insee, nom, type, departement, region, epci_siren, ept_siren,
       population_totale, population_municipale, territoires, lon, lat
FROM ref_collectivite
WHERE vintage = ?
