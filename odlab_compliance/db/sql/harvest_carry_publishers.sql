-- One row per publisher of the base snapshot carried into a new run (grain: run x
-- publisher): sources this run did not harvest, and publishers it did not refresh.
INSERT INTO harvest_publisher (run_id, source, source_key, publisher_id, name, siret, url,
                               badges, platform_id, nb_datasets)
SELECT $run_id, p.source, p.source_key, p.publisher_id, p.name, p.siret, p.url, p.badges,
       p.platform_id, p.nb_datasets
FROM harvest_publisher p
WHERE p.run_id = $base
  AND NOT list_contains($keys, p.source_key)
  AND NOT EXISTS (SELECT 1 FROM _replaced_publishers r
                  WHERE r.source = p.source AND r.publisher_id = p.publisher_id)
