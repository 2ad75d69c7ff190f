-- Grain: one row, the number of visible runs of a kind ($kind; statuses $visible, from
-- vocab.VISIBLE_RUNS) that harvested one source ($source_key): tells whether an
-- Observatoire edition is already imported.
SELECT count(*)
FROM harvest_run r
JOIN harvest_source s USING (run_id)
WHERE r.kind = $kind
  AND list_contains($visible, r.status)
  AND s.source_key = $source_key
