-- Grain: one row per loaded reference vintage (newest first): when, counts, warnings and
-- population millésimes (JSON texts).
SELECT vintage, loaded_at, counts, warnings, populations
FROM ref_load
ORDER BY vintage DESC
