-- One row per source of the agents table: what is loaded, how complete, how old.
SELECT source,
       count(*)                                   AS lignes,
       count(agents_min)                          AS effectif_connu,
       count(*) FILTER (WHERE agents_min >= 50)   AS au_moins_50,
       min(annee)                                 AS annee_min,
       max(annee)                                 AS annee_max,
       max(imported_at)                           AS dernier_import
FROM agents
GROUP BY source
ORDER BY source
