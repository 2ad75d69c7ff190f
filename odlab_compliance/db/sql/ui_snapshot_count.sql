-- One row: the number of finished harvest runs (snapshots the dashboard can show).
SELECT count(*)
FROM harvest_run
WHERE status IN ('done', 'done-errors')
