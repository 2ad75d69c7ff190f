-- Grain: one row: how many agent-count rows are imported and when the last import was
-- (the legal categories the matching reads change with them).
SELECT count(*), max(imported_at)
FROM agents
