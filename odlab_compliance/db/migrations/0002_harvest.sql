-- Harvest runs and their snapshots (harvested data: rebuilt by each run, never edited by
-- hand). A snapshot is the set of rows carrying one run_id; readers only see runs whose
-- status is done or done-errors, so a run that dies midway is invisible. Every snapshot
-- is kept (history). User tables (agents, match decisions) live elsewhere.

CREATE SEQUENCE harvest_run_seq START 1;

-- One row per run (a harvest of live sources, or one imported Observatoire edition).
CREATE TABLE harvest_run (
    run_id        INTEGER PRIMARY KEY DEFAULT nextval('harvest_run_seq'),
    kind          VARCHAR NOT NULL,    -- harvest | observatoire
    started_at    TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP,
    status        VARCHAR NOT NULL,    -- running | done | done-errors | failed
    snapshot_date DATE NOT NULL,       -- date the snapshot describes (edition date for ODF)
    sources       VARCHAR,             -- JSON list of the sources this run harvested itself
    territory     VARCHAR,             -- dep:31, reg:76, epci:<siren>, or NULL (national)
    base_run_id   INTEGER,             -- snapshot whose other rows were carried forward
    counts        VARCHAR,             -- JSON object
    message       VARCHAR,             -- French sentence when failed
    pid           INTEGER,             -- to tell a live run from an interrupted one
    host          VARCHAR
);

-- One row per run and source (datagouv, portal:<id>, observatoire:<edition>).
CREATE TABLE harvest_source (
    run_id       INTEGER NOT NULL,
    source_key   VARCHAR NOT NULL,
    ok           BOOLEAN NOT NULL,
    error        VARCHAR,
    items        INTEGER,
    carried_from INTEGER,              -- run whose data was reused (source not re-harvested)
    PRIMARY KEY (run_id, source_key)
);

-- One row per failed item (an organisation, a page, a CSV line) of a run.
CREATE TABLE harvest_error (
    run_id     INTEGER NOT NULL,
    source_key VARCHAR NOT NULL,
    item       VARCHAR,
    message    VARCHAR NOT NULL
);

-- One row per run and publisher (data.gouv.fr organisation, portal publisher).
CREATE TABLE harvest_publisher (
    run_id       INTEGER NOT NULL,
    source       VARCHAR NOT NULL,
    source_key   VARCHAR NOT NULL,
    publisher_id VARCHAR NOT NULL,
    name         VARCHAR,
    siret        VARCHAR,
    url          VARCHAR,
    badges       VARCHAR,              -- comma-separated badge kinds
    platform_id  VARCHAR,
    nb_datasets  INTEGER
);

-- One row per run and dataset as published.
CREATE TABLE harvest_dataset (
    run_id         INTEGER NOT NULL,
    source         VARCHAR NOT NULL,
    source_key     VARCHAR NOT NULL,
    dataset_id     VARCHAR NOT NULL,
    publisher_id   VARCHAR NOT NULL,
    title          VARCHAR,
    url            VARCHAR,
    platform_id    VARCHAR,
    platform_url   VARCHAR,
    last_update    VARCHAR,            -- ISO 8601 as published
    archived       BOOLEAN NOT NULL DEFAULT false,
    deleted        BOOLEAN NOT NULL DEFAULT false,
    schemas        VARCHAR,            -- comma-separated schema names
    harvest_domain VARCHAR,
    state_data     BOOLEAN NOT NULL DEFAULT false,
    siren_hint     VARCHAR
);

-- One row per run and publisher -> collectivité match (as computed at harvest time).
CREATE TABLE harvest_match (
    run_id       INTEGER NOT NULL,
    source       VARCHAR NOT NULL,
    publisher_id VARCHAR NOT NULL,
    siren        VARCHAR NOT NULL,
    method       VARCHAR,
    confidence   DOUBLE,
    decision     VARCHAR,
    flags        VARCHAR
);

-- One row per run and platform seen (the owner tells "own portal" from "shared").
CREATE TABLE harvest_platform (
    run_id      INTEGER NOT NULL,
    platform_id VARCHAR NOT NULL,
    url         VARCHAR,
    name        VARCHAR,
    owner_siren VARCHAR,
    hosted      VARCHAR                -- comma-separated SIRENs the registry says it hosts
);

-- One row per run and SCDL schema name known when the run was made.
CREATE TABLE harvest_scdl_schema (
    run_id      INTEGER NOT NULL,
    schema_name VARCHAR NOT NULL
);

-- One row per Observatoire edition run and organisation listed in it.
CREATE TABLE harvest_observatoire (
    run_id           INTEGER NOT NULL,
    siren            VARCHAR NOT NULL,
    nom              VARCHAR,
    type             VARCHAR,
    statut           VARCHAR,          -- publie | publie_via_tiers
    via              VARCHAR,          -- ptf | datagouv | ptf+datagouv
    plateforme       VARCHAR,
    url_plateforme   VARCHAR,
    nb_jeux_ptf      INTEGER,
    nb_jeux_datagouv INTEGER,
    date_edition     DATE
);
