-- One row per harvest run (newest first): journal with outcome per source and errors.
SELECT r.run_id,
       r.kind,
       r.status,
       r.started_at,
       r.ended_at,
       r.snapshot_date,
       r.territory,
       r.sources,
       r.base_run_id,
       r.counts,
       r.message,
       coalesce(s.sources_ok, 0)     AS sources_ok,
       coalesce(s.sources_failed, 0) AS sources_failed,
       s.failures,
       coalesce(e.item_errors, 0)    AS item_errors
FROM harvest_run r
LEFT JOIN (
    SELECT run_id,
           count(*) FILTER (WHERE ok)     AS sources_ok,
           count(*) FILTER (WHERE NOT ok) AS sources_failed,
           string_agg(CASE WHEN NOT ok THEN source_key || ' : ' || coalesce(error, '?') END,
                      ' | ' ORDER BY source_key) AS failures
    FROM harvest_source
    GROUP BY run_id
) s USING (run_id)
LEFT JOIN (
    SELECT run_id, count(*) AS item_errors FROM harvest_error GROUP BY run_id
) e USING (run_id)
ORDER BY r.run_id DESC
