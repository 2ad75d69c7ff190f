-- Workshops: one row per workshop, with its number of invitees and of attendees
-- (attendance = latest record per workshop and SIREN), most recent first.
WITH attendance AS (
    SELECT workshop_id, siren, arg_max(present, id) AS present
    FROM workshop_attendance
    GROUP BY workshop_id, siren
)
SELECT w.id, w.titre, w.date_atelier, w.lieu_code_insee, w.lieu_nom, w.notes, w.cree_le,
       w.editeur,
       count(i.siren)                                   AS nb_invites,
       count(i.siren) FILTER (WHERE a.present)          AS nb_presents
FROM workshop AS w
LEFT JOIN workshop_invitation AS i ON i.workshop_id = w.id
LEFT JOIN attendance AS a ON a.workshop_id = i.workshop_id AND a.siren = i.siren
GROUP BY ALL
ORDER BY w.date_atelier DESC, w.id DESC
