-- What each collectivité publishes, not only whether (issue 18): per snapshot, the quality
-- fields of each dataset and the resources that declare a schema; and, outside snapshots,
-- the cache of SCDL validations (a file is validated once per content, not once per run).

-- One row per run and dataset: what its source says of its quality. A NULL is "the source
-- does not give it", never "no" (see docs/quality.md for what each source gives).
CREATE TABLE harvest_dataset_quality (
    run_id           INTEGER NOT NULL,
    source           VARCHAR NOT NULL,
    source_key       VARCHAR NOT NULL,
    dataset_id       VARCHAR NOT NULL,
    publisher_id     VARCHAR NOT NULL,
    licence          VARCHAR,            -- as published (id or title)
    frequency        VARCHAR,            -- udata frequency id (annual, monthly, ...) or NULL
    formats          VARCHAR,            -- comma-separated lower-case resource formats
    quality_score    DOUBLE,             -- data.gouv.fr quality score, 0..1
    quality_criteria VARCHAR,            -- JSON object of data.gouv.fr's criteria (booleans)
    themes           VARCHAR             -- comma-separated themes (portals)
);

-- One row per run and resource declaring a schema (the SCDL files to validate).
CREATE TABLE harvest_resource (
    run_id         INTEGER NOT NULL,
    source         VARCHAR NOT NULL,
    source_key     VARCHAR NOT NULL,
    dataset_id     VARCHAR NOT NULL,
    publisher_id   VARCHAR NOT NULL,
    resource_id    VARCHAR NOT NULL,
    url            VARCHAR,
    format         VARCHAR,
    filesize       BIGINT,
    checksum       VARCHAR,
    modified       VARCHAR,
    schema_name    VARCHAR NOT NULL,
    schema_version VARCHAR,
    fingerprint    VARCHAR NOT NULL     -- checksum, else size + modified (ingest/scdl.py)
);

-- One row per validated content of a resource against a schema version. ``fingerprint``
-- is what tells a changed file (checksum, else size + modified date): a resource whose
-- fingerprint has a row is not validated again.
CREATE TABLE scdl_validation (
    resource_id    VARCHAR NOT NULL,
    schema_name    VARCHAR NOT NULL,
    schema_version VARCHAR NOT NULL,
    fingerprint    VARCHAR NOT NULL,
    url            VARCHAR,
    validated_at   TIMESTAMP NOT NULL,
    state          VARCHAR NOT NULL,     -- valide | invalide | erreur (vocab.SCDL_*)
    nb_errors      INTEGER,
    rows_read      INTEGER,
    messages       VARCHAR,              -- JSON list of the first messages (French)
    PRIMARY KEY (resource_id, schema_name, schema_version, fingerprint)
);
