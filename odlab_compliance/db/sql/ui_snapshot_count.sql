-- One row: the number of visible snapshots (finished runs; statuses bound from
-- vocab.VISIBLE_RUNS).
SELECT count(*)
FROM harvest_run
WHERE status IN (?, ?)
