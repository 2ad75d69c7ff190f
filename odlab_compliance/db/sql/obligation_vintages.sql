-- One row per vintage present in the reference table, newest first, with its row count.
SELECT vintage, count(*) AS n
FROM ref_collectivite
GROUP BY vintage
ORDER BY vintage DESC
