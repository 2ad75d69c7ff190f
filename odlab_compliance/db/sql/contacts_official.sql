-- Official contacts (Annuaire de l'administration) of some SIRENs ($sirens NULL: all).
SELECT siren, annuaire_id, type_service, nom, courriel, courriel_brut, telephone,
       site_internet, adresse, url_fiche, appariement, date_maj_source, charge_le
FROM contact_officiel
WHERE $sirens IS NULL OR list_contains($sirens, siren)
ORDER BY siren
