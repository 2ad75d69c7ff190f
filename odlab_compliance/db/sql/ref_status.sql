-- One row per loaded reference vintage: when it was loaded, its counts, warnings and
-- population millésimes (JSON texts), and the number of rows it holds in each reference
-- table.
SELECT l.vintage,
       l.loaded_at,
       l.counts,
       l.warnings,
       l.populations,
       (SELECT count(*) FROM ref_collectivite c WHERE c.vintage = l.vintage) AS collectivites,
       (SELECT count(*) FROM ref_territoire t WHERE t.vintage = l.vintage)   AS territoires,
       (SELECT count(*) FROM ref_geometry g WHERE g.vintage = l.vintage)     AS geometries
FROM ref_load l
ORDER BY l.vintage
