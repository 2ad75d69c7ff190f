-- Official contacts (Annuaire de l'administration, service-public.gouv.fr) and the
-- editable letter templates.

-- One row per collectivité with an entry in the Annuaire, as of the last refresh: the
-- whole table is replaced by each refresh (it is a copy of the source, not user input).
-- A collectivité is identified by its SIREN, like the follow-up log.
CREATE TABLE contact_officiel (
    siren            VARCHAR PRIMARY KEY,
    annuaire_id      VARCHAR NOT NULL,   -- the entry's id in the Annuaire (UUID)
    type_service     VARCHAR NOT NULL,   -- mairie | epci | cg | cr
    nom              VARCHAR NOT NULL,   -- name of the entry ("Mairie - Muret")
    courriel         VARCHAR,            -- first valid address; NULL when none
    courriel_brut    VARCHAR,            -- the field as published (kept to explain a refusal)
    telephone        VARCHAR,
    site_internet    VARCHAR,
    adresse          VARCHAR,            -- postal address on one line
    url_fiche        VARCHAR,            -- the entry's page on lannuaire.service-public.gouv.fr
    appariement      VARCHAR NOT NULL,   -- how it was matched: siret | code_insee | siege
    date_maj_source  VARCHAR,            -- date_modification of the entry
    charge_le        TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Letter and e-mail templates, append-only: one row per saved version; the current
-- version of a template is its latest row. Defaults ship with the code and are used
-- until an editor saves a version.
CREATE SEQUENCE modele_courrier_id;
CREATE TABLE modele_courrier (
    id          BIGINT PRIMARY KEY DEFAULT nextval('modele_courrier_id'),
    code        VARCHAR NOT NULL,        -- relance | invitation | felicitations
    objet       VARCHAR NOT NULL,        -- subject (Jinja2)
    corps       VARCHAR NOT NULL,        -- body (Jinja2)
    saisi_le    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    editeur     VARCHAR NOT NULL
);
