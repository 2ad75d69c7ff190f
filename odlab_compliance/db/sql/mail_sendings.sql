-- Sendings of every campaign ($campagne NULL) or of one, newest first.
SELECT c.nom AS campagne, c.modele, e.siren, e.destinataire, e.etat, e.motif,
       e.message_id, e.maj_le, c.editeur
FROM envoi e JOIN campagne c ON c.id = e.campagne_id
WHERE $campagne IS NULL OR c.nom = $campagne
ORDER BY e.maj_le DESC, e.siren
