-- Store the matched official contacts (registered as _contacts by ingest.contacts.store).
INSERT INTO contact_officiel (siren, annuaire_id, type_service, nom, courriel, courriel_brut,
                              telephone, site_internet, adresse, url_fiche, appariement,
                              date_maj_source)
SELECT siren, annuaire_id, type_service, nom, courriel, courriel_brut, telephone,
       site_internet, adresse, url_fiche, appariement, date_maj_source
FROM _contacts
