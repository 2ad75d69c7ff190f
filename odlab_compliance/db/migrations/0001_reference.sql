-- Reference data (rebuildable at will: loading a vintage replaces that vintage only),
-- agent counts (imported data, never dropped by a reference rebuild) and the fetch log.

-- One row per file obtained for a source (mirror, cache or download).
CREATE TABLE source_fetch (
    source_id    VARCHAR NOT NULL,
    vintage      INTEGER NOT NULL,
    url          VARCHAR,
    origin       VARCHAR NOT NULL,   -- mirror | cache | download
    path         VARCHAR NOT NULL,
    size         BIGINT,
    sha256       VARCHAR,
    retrieved_at TIMESTAMP NOT NULL,
    recorded_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- One row per collectivité and vintage: communes (current ones only), EPCI à fiscalité
-- propre, EPT, départements, régions and collectivités à statut particulier.
-- code_insee: commune code, EPCI/EPT SIREN, département or région code.
CREATE TABLE ref_collectivite (
    vintage               INTEGER NOT NULL,
    siren                 VARCHAR,
    code_insee            VARCHAR NOT NULL,
    nom                   VARCHAR NOT NULL,
    type                  VARCHAR NOT NULL,  -- COM CC CA CU MET EPT DEP REG (see README)
    statut_particulier    VARCHAR,           -- e.g. "Ville de Paris", "Collectivité de Corse"
    departement           VARCHAR,
    region                VARCHAR,
    epci_siren            VARCHAR,
    ept_siren             VARCHAR,
    population_totale     BIGINT,
    population_municipale BIGINT,
    annee_population      INTEGER,
    population_note       VARCHAR,           -- where a figure comes from or why it is missing
    zone                  VARCHAR,           -- metro | drom | com
    lon                   DOUBLE,            -- centroid (WGS84), for distances and points
    lat                   DOUBLE,
    PRIMARY KEY (vintage, type, code_insee)
);

-- Geographic territories used to select and aggregate (not collectivités: the
-- département 67 exists as a territory although the CEA is the collectivité).
CREATE TABLE ref_territoire (
    vintage  INTEGER NOT NULL,
    niveau   VARCHAR NOT NULL,   -- REG | DEP
    code     VARCHAR NOT NULL,
    nom      VARCHAR NOT NULL,
    region   VARCHAR,
    zone     VARCHAR,
    -- the collectivité exerting this territory's powers (ref_collectivite type and
    -- code_insee): DEP 67 -> DEP 6AE (CEA), DEP 75 -> COM 75056 (Ville de Paris),
    -- DEP 2A -> REG 94 (Corse), REG 06 -> DEP 976 (Mayotte); itself otherwise.
    collectivite_type VARCHAR,
    collectivite_code VARCHAR,
    PRIMARY KEY (vintage, niveau, code)
);

-- Display geometries, simplified without gaps between neighbours (WKB, WGS84).
CREATE TABLE ref_geometry (
    vintage   INTEGER NOT NULL,
    niveau    VARCHAR NOT NULL,  -- COM | EPCI | DEP | REG
    code      VARCHAR NOT NULL,
    nom       VARCHAR,
    geometry  BLOB NOT NULL,
    PRIMARY KEY (vintage, niveau, code)
);

-- One row per loaded vintage: when, from which files, with what counts and warnings.
CREATE TABLE ref_load (
    vintage    INTEGER PRIMARY KEY,
    loaded_at  TIMESTAMP NOT NULL,
    counts     VARCHAR,          -- JSON object
    warnings   VARCHAR           -- JSON array of French sentences
);

-- Agent counts: one row per SIREN and source (sirene | recherche_entreprises | prefecture).
-- The effective count per SIREN is chosen by a view: prefecture first, then the most
-- recent band. Imported data: never dropped by a reference rebuild.
CREATE TABLE agents (
    siren         VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    tranche       VARCHAR,          -- Sirene band code (NN, 00, ..., 53); NULL for an exact count
    agents_min    INTEGER,
    agents_max    INTEGER,
    annee         INTEGER,
    source_detail VARCHAR,          -- file name or API, and for a prefecture its own source text
    imported_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (siren, source)
);
