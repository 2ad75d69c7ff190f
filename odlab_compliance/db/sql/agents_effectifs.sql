-- One row per SIREN: the agent count that the obligation rules use.
-- A prefecture's own count wins; otherwise a known band beats an unknown one (NN or
-- missing: unknown, never zero), then the most recent band (API or stock file), the API
-- first on a tie since it is read live.
SELECT siren,
       tranche     AS agents_tranche,
       agents_min,
       agents_max,
       annee       AS agents_annee,
       source      AS agents_source,
       source_detail AS agents_source_detail
FROM (
    SELECT *,
           row_number() OVER (
               PARTITION BY siren
               ORDER BY CASE source WHEN 'prefecture' THEN 0 ELSE 1 END,
                        CASE WHEN agents_min IS NULL THEN 1 ELSE 0 END,
                        annee DESC NULLS LAST,
                        CASE source WHEN 'recherche_entreprises' THEN 0 ELSE 1 END
           ) AS rang
    FROM agents
) ranked
WHERE rang = 1
