-- One row per run with item errors: the first 20 of them, as one readable text.
SELECT run_id,
       string_agg(source_key || coalesce(' [' || item || ']', '') || ' : ' || message, ' | '
                  ORDER BY source_key, item) AS erreurs
FROM (
    SELECT *, row_number() OVER (PARTITION BY run_id ORDER BY source_key, item) AS n
    FROM harvest_error
) numbered
WHERE n <= 20
GROUP BY run_id
