-- Mailing campaigns and their sendings. A campaign is one template sent to a selection;
-- each (campaign, collectivité, template) has at most one sending row, so an
-- interrupted campaign resumes where it stopped and never sends twice.

CREATE SEQUENCE campagne_id;
CREATE TABLE campagne (
    id           INTEGER PRIMARY KEY DEFAULT nextval('campagne_id'),
    nom          VARCHAR NOT NULL UNIQUE,  -- the key given by the editor (or generated)
    modele       VARCHAR NOT NULL,         -- template code
    cree_le      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    editeur      VARCHAR NOT NULL
);

-- One row per collectivité of a campaign. etat: a_envoyer (claimed, not yet handed to the
-- server), en_cours (handed to the SMTP server, acceptance not yet recorded), envoye,
-- ignore (no valid address: motif says why), echec (the server refused: motif).
-- A row left en_cours by a crash is never resent automatically: the server may have
-- accepted it (see outreach/mailing.py).
CREATE TABLE envoi (
    campagne_id  INTEGER NOT NULL,
    siren        VARCHAR NOT NULL,
    modele       VARCHAR NOT NULL,
    cle          VARCHAR NOT NULL UNIQUE,  -- campagne/siren/modele: the Message-ID's left part
    destinataire VARCHAR,
    etat         VARCHAR NOT NULL,
    motif        VARCHAR,
    message_id   VARCHAR,
    maj_le       TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (campagne_id, siren, modele)
);

-- The night's refresh (`refresh`): one row per step of each run. etat: en_cours, reussi,
-- echec, ignore (a step that cannot run here, message says why).
CREATE SEQUENCE refresh_step_id;
CREATE TABLE refresh_step (
    id          BIGINT PRIMARY KEY DEFAULT nextval('refresh_step_id'),
    passage     VARCHAR NOT NULL,      -- one id per refresh run
    etape       VARCHAR NOT NULL,      -- moissonnage | effectifs | contacts | validite | digest
    debut       TIMESTAMP NOT NULL,
    fin         TIMESTAMP,
    etat        VARCHAR NOT NULL,
    code_sortie INTEGER,
    message     VARCHAR
);
