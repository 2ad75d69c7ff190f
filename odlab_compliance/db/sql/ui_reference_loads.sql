-- One row per loaded reference vintage (newest first): when, counts and warnings (JSON texts).
SELECT vintage, loaded_at, counts, warnings
FROM ref_load
ORDER BY vintage DESC
