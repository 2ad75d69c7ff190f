-- One row per dataset of the base snapshot carried into a new run (grain: run x dataset),
-- with the same exclusions as harvest_carry_publishers.
INSERT INTO harvest_dataset (run_id, source, source_key, dataset_id, publisher_id, title, url,
                             platform_id, platform_url, last_update, archived, deleted, schemas,
                             harvest_domain, state_data, siren_hint)
SELECT $run_id, d.source, d.source_key, d.dataset_id, d.publisher_id, d.title, d.url,
       d.platform_id, d.platform_url, d.last_update, d.archived, d.deleted, d.schemas,
       d.harvest_domain, d.state_data, d.siren_hint
FROM harvest_dataset d
WHERE d.run_id = $base
  AND NOT list_contains($keys, d.source_key)
  AND NOT EXISTS (SELECT 1 FROM _replaced_publishers r
                  WHERE r.source = d.source AND r.publisher_id = d.publisher_id)
