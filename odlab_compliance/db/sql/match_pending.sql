-- Grain: one row per (publisher, SIREN) match of one harvest snapshot ($run_id), with the
-- publisher's name and the collectivité's name (latest reference vintage) for review.
SELECT m.source, m.publisher_id, p.name AS publisher_name, p.siret, m.siren,
       c.nom AS collectivite, c.type AS collectivite_type, m.method, m.confidence,
       m.decision, m.flags
FROM harvest_match m
LEFT JOIN (SELECT DISTINCT ON (source, publisher_id) source, publisher_id, name, siret
           FROM harvest_publisher WHERE run_id = $run_id) p
       ON p.source = m.source AND p.publisher_id = m.publisher_id
LEFT JOIN (SELECT siren, nom, type FROM ref_collectivite
           WHERE vintage = (SELECT max(vintage) FROM ref_collectivite)) c
       ON c.siren = m.siren
WHERE m.run_id = $run_id
ORDER BY m.confidence, m.source, m.publisher_id
