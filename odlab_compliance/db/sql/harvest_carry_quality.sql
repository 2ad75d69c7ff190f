-- The quality row of each dataset of the base snapshot carried into a new run (grain:
-- run x dataset), with the same exclusions as harvest_carry_datasets.
INSERT INTO harvest_dataset_quality (run_id, source, source_key, dataset_id, publisher_id,
                                     licence, frequency, formats, quality_score,
                                     quality_criteria, themes)
SELECT $run_id, q.source, q.source_key, q.dataset_id, q.publisher_id, q.licence, q.frequency,
       q.formats, q.quality_score, q.quality_criteria, q.themes
FROM harvest_dataset_quality q
WHERE q.run_id = $base
  AND NOT list_contains($keys, q.source_key)
  AND NOT EXISTS (SELECT 1 FROM _replaced_publishers r
                  WHERE r.source = q.source AND r.publisher_id = q.publisher_id)
