-- Grain: one row per portal added by a user (table portal_user).
SELECT id, nom, url, techno, siren, heberges, partage, actif, note, auteur, added_at
FROM portal_user
ORDER BY id
