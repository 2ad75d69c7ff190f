-- One row per source outcome of the base snapshot that a new run reuses (grain: run x
-- source): carried_from names the run that really harvested it.
INSERT INTO harvest_source (run_id, source_key, ok, error, items, carried_from)
SELECT $run_id, s.source_key, s.ok, s.error, s.items, coalesce(s.carried_from, s.run_id)
FROM harvest_source s
WHERE s.run_id = $base
  AND NOT list_contains($skip, s.source_key)
