-- The quality fields of each dataset of one snapshot ($run), keyed like status_datasets
-- (grain: run x source_key x dataset). NULLs are "not given by the source".
SELECT q.source_key,
       q.dataset_id,
       any_value(q.licence)          AS licence,
       any_value(q.frequency)        AS frequency,
       any_value(q.formats)          AS formats,
       any_value(q.quality_score)    AS quality_score,
       any_value(q.quality_criteria) AS quality_criteria,
       any_value(q.themes)           AS themes
FROM harvest_dataset_quality q
WHERE q.run_id = $run
GROUP BY q.source_key, q.dataset_id
