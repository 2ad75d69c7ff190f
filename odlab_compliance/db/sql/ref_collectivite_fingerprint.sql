-- Grain: one row: how many reference rows there are and a hash of their content, every
-- vintage together (the matching reference's cache key: rows written without a load,
-- by tests or repairs, change it too).
SELECT count(*), sum(hash(vintage, siren, nom, type))
FROM ref_collectivite
