-- Current follow-up state: one row per SIREN having at least one row in followup_log.
-- Each field is its latest value in the log (highest id); an empty string clears it.
-- The state is derived from the log only, so both always agree.
SELECT
    siren,
    nullif(arg_max(valeur, id) FILTER (WHERE champ = 'etape'), '')            AS etape,
    arg_max(coalesce(date_effet, CAST(saisi_le AS DATE)), id) FILTER (WHERE champ = 'etape') AS etape_depuis,
    try_cast(nullif(arg_max(valeur, id) FILTER (WHERE champ = 'prochaine_action'), '')
             AS DATE)                                                           AS prochaine_action,
    nullif(arg_max(valeur, id) FILTER (WHERE champ = 'contact'), '')          AS contact,
    arg_max(valeur, id) FILTER (WHERE champ = 'note')                          AS derniere_note,
    arg_max(date_effet, id) FILTER (WHERE champ = 'note')                      AS date_derniere_note,
    count(*) FILTER (WHERE champ = 'note')                                     AS nb_notes,
    -- to the second, as exports write it (an XLSX cell would round up, not down)
    date_trunc('second', max(saisi_le))                                       AS mis_a_jour_le,
    arg_max(editeur, id)                                                       AS dernier_editeur
FROM followup_log
GROUP BY siren
ORDER BY siren
