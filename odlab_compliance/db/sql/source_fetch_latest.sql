-- Grain: one row per source and vintage: the latest file obtained (origin, retrieval date, checksum).
SELECT source_id, vintage, url, origin, retrieved_at, size, sha256
FROM source_fetch
QUALIFY row_number() OVER (PARTITION BY source_id, vintage ORDER BY recorded_at DESC) = 1
ORDER BY source_id, vintage
