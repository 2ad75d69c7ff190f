-- One row per visible snapshot (finished run: done or done-errors), newest first.
SELECT run_id AS snapshot,
       snapshot_date AS date_snapshot,
       kind,
       status,
       territory,
       started_at,
       ended_at,
       base_run_id
FROM harvest_run
WHERE status IN ('done', 'done-errors')
ORDER BY snapshot_date DESC, run_id DESC
