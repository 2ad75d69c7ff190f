-- Grain: one row: how many former communes are recorded and a hash of their links to
-- today's communes (the matching reference's cache key).
SELECT count(*), sum(hash(vintage, code, commune))
FROM ref_commune_ancienne
