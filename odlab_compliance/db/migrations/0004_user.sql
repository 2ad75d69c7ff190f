-- User input of prefecture staff and workshop organisers. These tables are never dropped
-- or rewritten by a reference rebuild or a harvest: they hold no foreign key to the
-- reference or harvest tables (a collectivité is identified by its SIREN, stable across
-- vintages), so reloading a vintage or a snapshot cannot cascade into them.

-- Follow-up log, append-only: one row per change of one field of one collectivité's
-- follow-up (stage, note, next-action date, contact person). The current state is the
-- latest row per (siren, champ); nothing is ever updated or deleted, so the log and the
-- state cannot disagree.
CREATE SEQUENCE followup_log_id;
CREATE TABLE followup_log (
    id           BIGINT PRIMARY KEY DEFAULT nextval('followup_log_id'),
    siren        VARCHAR NOT NULL,
    champ        VARCHAR NOT NULL,   -- etape | note | prochaine_action | contact
    valeur       VARCHAR,            -- stage code, note text, ISO date, contact; '' clears
    date_effet   DATE,               -- the date a note or a stage change refers to
    saisi_le     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    editeur      VARCHAR NOT NULL,   -- who: signed-in user, password editor, local or CLI user
    origine      VARCHAR NOT NULL,   -- page | cli | import:<file name>
    lot          VARCHAR             -- groups the rows written by one submission or import
);

-- One row per workshop.
CREATE SEQUENCE workshop_id;
CREATE TABLE workshop (
    id              INTEGER PRIMARY KEY DEFAULT nextval('workshop_id'),
    titre           VARCHAR NOT NULL,
    date_atelier    DATE NOT NULL,
    lieu_code_insee VARCHAR,          -- venue commune (centroid used for distances)
    lieu_nom        VARCHAR,
    notes           VARCHAR,
    cree_le         TIMESTAMP NOT NULL DEFAULT current_timestamp,
    editeur         VARCHAR NOT NULL
);

-- One row per workshop and invited collectivité.
CREATE TABLE workshop_invitation (
    workshop_id  INTEGER NOT NULL,
    siren        VARCHAR NOT NULL,
    nom          VARCHAR,            -- name at invitation time (kept if the reference changes)
    distance_km  DOUBLE,
    invite_le    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    editeur      VARCHAR NOT NULL,
    PRIMARY KEY (workshop_id, siren)
);

-- Attendance, append-only: one row per record of presence; the latest per
-- (workshop, siren) counts, so a correction keeps its history.
CREATE SEQUENCE workshop_attendance_id;
CREATE TABLE workshop_attendance (
    id           BIGINT PRIMARY KEY DEFAULT nextval('workshop_attendance_id'),
    workshop_id  INTEGER NOT NULL,
    siren        VARCHAR NOT NULL,
    present      BOOLEAN NOT NULL,
    saisi_le     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    editeur      VARCHAR NOT NULL
);
