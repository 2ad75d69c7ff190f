-- The schema-declaring files of the base snapshot carried into a new run (grain: run x
-- resource x schema), with the same exclusions as harvest_carry_datasets.
INSERT INTO harvest_resource (run_id, source, source_key, dataset_id, publisher_id,
                              resource_id, url, format, filesize, checksum, modified,
                              schema_name, schema_version, fingerprint)
SELECT $run_id, x.source, x.source_key, x.dataset_id, x.publisher_id, x.resource_id, x.url,
       x.format, x.filesize, x.checksum, x.modified, x.schema_name, x.schema_version, x.fingerprint
FROM harvest_resource x
WHERE x.run_id = $base
  AND NOT list_contains($keys, x.source_key)
  AND NOT EXISTS (SELECT 1 FROM _replaced_publishers r
                  WHERE r.source = x.source AND r.publisher_id = x.publisher_id)
