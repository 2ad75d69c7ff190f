-- Grain: one row per région and département of a vintage.
SELECT niveau, code, nom, region, zone
FROM ref_territoire
WHERE vintage = ?
ORDER BY niveau, code
