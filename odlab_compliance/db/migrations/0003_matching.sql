-- User data of the matching and the portal registry: never dropped, rewritten or
-- rebuilt by a reference load or a harvest (only appended to by the CLI).

-- Human match decisions, append-only: one row per decision taken; the current decision
-- for a (publisher, SIREN) pair is the row with the highest seq.
CREATE SEQUENCE match_decision_seq START 1;
CREATE TABLE match_decision (
    seq          BIGINT PRIMARY KEY DEFAULT nextval('match_decision_seq'),
    publisher_id VARCHAR NOT NULL,   -- data.gouv.fr organisation id or "<portal_id>:<publisher>"
    siren        VARCHAR NOT NULL,
    decision     VARCHAR NOT NULL CHECK (decision IN ('confirme', 'rejete', 'ajoute')),
    source       VARCHAR,            -- datagouv | portal | observatoire, when given
    note         VARCHAR,
    auteur       VARCHAR,
    decided_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Portals added by users (the Observatoire's list is read from its source, not stored).
-- One row per portal; a user portal with the same address as a seeded one replaces it.
CREATE TABLE portal_user (
    id          VARCHAR PRIMARY KEY,
    nom         VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    techno      VARCHAR NOT NULL,    -- opendatasoft | ckan | arcgis | dcat
    siren       VARCHAR,             -- SIREN of the body that runs it, when known
    heberges    VARCHAR,             -- comma-separated SIRENs it hosts
    partage     BOOLEAN NOT NULL DEFAULT false,
    actif       BOOLEAN NOT NULL DEFAULT true,
    note        VARCHAR,
    auteur      VARCHAR,
    added_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A user's switch on any portal of the registry (seeded or added): one row per portal,
-- the last choice; a portal without a row is active.
CREATE TABLE portal_state (
    id          VARCHAR PRIMARY KEY,
    actif       BOOLEAN NOT NULL,
    note        VARCHAR,
    auteur      VARCHAR,
    changed_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
