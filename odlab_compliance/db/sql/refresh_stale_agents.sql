-- SIRENs whose staff count from the Recherche d'entreprises API is older than $days days
-- (oldest first, at most $limit): the night refreshes a slice of them.
SELECT siren
FROM agents
WHERE source = $source AND imported_at < current_timestamp - to_days(CAST($days AS INTEGER))
ORDER BY imported_at, siren
LIMIT $limit
