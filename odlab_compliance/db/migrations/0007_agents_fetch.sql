-- Progress of a national fetch of agent counts (`agents fetch --all`), so that a run cut
-- short (even by SIGKILL) resumes without asking the API again for what it already has.
-- Its own tables: a reference reload or an import never touches them.

-- One row per run: a new run starts when the last one has finished.
CREATE TABLE agents_fetch_run (
    run_id      INTEGER PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    status      VARCHAR NOT NULL,   -- running | done | done-errors (vocab.RUN_STATUS)
    requests    INTEGER NOT NULL DEFAULT 0,   -- HTTP requests made, over every resumption
    message     VARCHAR
);

-- One row per page of a listing written (with its agent rows, in one transaction).
-- requete: the listing's parameters without the page (departement, etat, natures).
CREATE TABLE agents_fetch_page (
    run_id        INTEGER NOT NULL,
    requete       VARCHAR NOT NULL,
    page          INTEGER NOT NULL,
    total_pages   INTEGER NOT NULL,
    total_results INTEGER NOT NULL,
    sirens        VARCHAR NOT NULL,   -- SIRENs returned, space-separated
    fetched_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, requete, page)
);

-- One row per SIREN looked up one by one (candidates no listing returned).
CREATE TABLE agents_fetch_siren (
    run_id     INTEGER NOT NULL,
    siren      VARCHAR NOT NULL,
    trouve     BOOLEAN NOT NULL,     -- false: the API does not know it (not diffusible...)
    fetched_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, siren)
);
