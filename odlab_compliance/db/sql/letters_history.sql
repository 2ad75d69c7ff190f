-- Saved versions of one letter template, newest first; version 1 is the first saved.
SELECT row_number() OVER (ORDER BY id) AS version, objet, corps, saisi_le, editeur
FROM modele_courrier
WHERE code = ?
ORDER BY id DESC
