-- Grain: one row per visible snapshot (a finished run: status bound to the visible run statuses,
-- vocab.VISIBLE_RUNS), newest first. A snapshot's id is the id of the run that wrote it.
SELECT run_id        AS snapshot_id,
       snapshot_date AS date_snapshot,
       kind,
       territory
FROM harvest_run
WHERE status IN (?, ?)
ORDER BY snapshot_date DESC, run_id DESC
