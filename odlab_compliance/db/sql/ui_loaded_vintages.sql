-- One row per reference vintage whose load completed (ref_load), newest first.
SELECT vintage
FROM ref_load
ORDER BY vintage DESC
