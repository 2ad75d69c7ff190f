-- Grain: one row per SIREN whose INSEE legal category an agent import recorded (the Sirene
-- stock writes « catégorie juridique 7210 », the Recherche d'entreprises API « nature
-- juridique 7210 » in source_detail); the most recent import wins.
SELECT siren, categorie
FROM (
    SELECT siren,
           regexp_extract(source_detail, '(?:catégorie|nature) juridique (\d{4})', 1) AS categorie,
           row_number() OVER (PARTITION BY siren ORDER BY imported_at DESC) AS rang
    FROM agents
    WHERE source_detail LIKE '%juridique%'
)
WHERE rang = 1 AND categorie <> ''
