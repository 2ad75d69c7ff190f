-- One row: the number of tables named ? (0 or 1), to tell a new database from a built one.
SELECT count(*)
FROM information_schema.tables
WHERE table_name = ?
