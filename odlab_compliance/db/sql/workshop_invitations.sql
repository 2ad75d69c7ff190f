-- Invitations: one row per workshop and invited collectivité, with the latest attendance
-- record (NULL: not yet recorded). $workshop_id: one workshop, or NULL for all.
WITH attendance AS (
    SELECT workshop_id, siren, arg_max(present, id) AS present,
           max(saisi_le) AS presence_saisie_le
    FROM workshop_attendance
    GROUP BY workshop_id, siren
)
SELECT i.workshop_id, w.titre, w.date_atelier, i.siren, i.nom, i.distance_km, i.invite_le,
       i.editeur, a.present, a.presence_saisie_le
FROM workshop_invitation AS i
JOIN workshop AS w ON w.id = i.workshop_id
LEFT JOIN attendance AS a ON a.workshop_id = i.workshop_id AND a.siren = i.siren
WHERE $workshop_id IS NULL OR i.workshop_id = $workshop_id
ORDER BY i.workshop_id, i.nom, i.siren
