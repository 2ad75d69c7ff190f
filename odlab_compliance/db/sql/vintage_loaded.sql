-- Grain: one row per loaded reference vintage (a vintage whose collectivités are in
-- ref_collectivite), newest first (db.facts.loaded_vintages).
SELECT DISTINCT vintage
FROM ref_collectivite
ORDER BY vintage DESC
