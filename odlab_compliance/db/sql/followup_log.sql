-- Follow-up log: one row per change of one field of one collectivité, oldest first.
-- $sirens: list of SIREN to keep, or NULL for all.
SELECT id, siren, champ, valeur, date_effet, saisi_le, editeur, origine, lot
FROM followup_log
WHERE $sirens IS NULL OR list_contains($sirens, siren)
ORDER BY id
