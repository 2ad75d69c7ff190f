-- Every SCDL file of one snapshot with the verdict on its current content, NULL when not
-- yet validated (grain: one row per resource x schema of the snapshot).
SELECT x.source, x.dataset_id, x.publisher_id, x.resource_id, x.url, x.format,
       x.schema_name, coalesce(x.schema_version, $latest) AS schema_version, x.fingerprint,
       v.state, v.nb_errors, v.rows_read, v.messages, v.validated_at
FROM harvest_resource x
LEFT JOIN scdl_validation v
       ON v.resource_id = x.resource_id AND v.schema_name = x.schema_name
      AND v.schema_version = coalesce(x.schema_version, $latest)
      AND v.fingerprint = x.fingerprint
WHERE x.run_id = $run_id
  AND (x.schema_name LIKE 'scdl/%'
       OR x.schema_name IN (SELECT schema_name FROM harvest_scdl_schema WHERE run_id = $run_id))
ORDER BY x.dataset_id, x.resource_id
