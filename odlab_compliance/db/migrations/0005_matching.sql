-- Former communes of a reference vintage (rebuilt with the vintage, like every ref_*
-- table): what lets the matching read a predecessor's name or code as its successor.
-- One row per (vintage, code, nature): a commune déléguée or associée of the COG (its name
-- and the current commune it belongs to), or a former code of a merged commune.
CREATE TABLE ref_commune_ancienne (
    vintage  INTEGER NOT NULL,
    code     VARCHAR NOT NULL,   -- the former (or delegated) commune's INSEE code
    nom      VARCHAR,            -- its name (NULL for a bare former code)
    nature   VARCHAR NOT NULL,   -- deleguee | associee | ancien_code
    commune  VARCHAR NOT NULL,   -- code_insee of the current commune of that vintage
    PRIMARY KEY (vintage, code, nature)
);

-- Harvested data: one row per run and publisher, what the matching said besides its
-- matches (written with the snapshot, never edited): the kind of body when the name says
-- it is not a collectivité (vocab.ORGANISME), and why nothing was matched or counted.
CREATE TABLE harvest_match_class (
    run_id       INTEGER NOT NULL,
    source       VARCHAR NOT NULL,
    publisher_id VARCHAR NOT NULL,
    categorie    VARCHAR,
    raison       VARCHAR
);
