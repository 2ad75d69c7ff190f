-- Grain: one row, the number of tables named ? (0 or 1): tells a new database from a
-- built one (db.facts.table_exists).
SELECT count(*)
FROM information_schema.tables
WHERE table_name = ?
