-- SCDL files of one snapshot whose current content has no validation yet (grain: one row
-- per resource x schema x version x fingerprint). A schema counts as SCDL when the run's
-- list says so (harvest_scdl_schema) or its name is scdl/...; ordered so that a bounded
-- run always takes the same files first.
SELECT DISTINCT x.resource_id, x.schema_name,
       coalesce(x.schema_version, $latest) AS schema_version, x.fingerprint, x.url, x.format,
       x.dataset_id, x.publisher_id, x.source
FROM harvest_resource x
LEFT JOIN scdl_validation v
       ON v.resource_id = x.resource_id AND v.schema_name = x.schema_name
      AND v.schema_version = coalesce(x.schema_version, $latest)
      AND v.fingerprint = x.fingerprint
WHERE x.run_id = $run_id
  AND v.resource_id IS NULL
  AND (x.schema_name LIKE 'scdl/%'
       OR x.schema_name IN (SELECT schema_name FROM harvest_scdl_schema WHERE run_id = $run_id))
ORDER BY x.resource_id, x.schema_name
