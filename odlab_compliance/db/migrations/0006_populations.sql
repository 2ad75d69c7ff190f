-- Populations of one millésime (issue 9) and the territories a collectivité governs.
-- The pair (population_totale, population_municipale) is always of ONE millésime,
-- annee_population; the municipale of another millésime, when a file gives one, is kept
-- apart (never paired with the totale). annee_population_vigueur: the millésime in force
-- on 1 January of the vintage (vintage - 3). territoires: keys of the territories whose
-- powers the collectivité exerts ("dep:67 dep:68" for the CEA, "dep:69" for the
-- Métropole de Lyon and the Rhône), so a territory's view shows who governs it.
ALTER TABLE ref_collectivite ADD COLUMN population_municipale_autre BIGINT;
ALTER TABLE ref_collectivite ADD COLUMN annee_population_autre INTEGER;
ALTER TABLE ref_collectivite ADD COLUMN annee_population_vigueur INTEGER;
ALTER TABLE ref_collectivite ADD COLUMN territoires VARCHAR;

-- How the millésime of each population file was established (JSON object: en_vigueur,
-- fichiers[] with cle, fichier, millesime, preuve, millesime_declare).
ALTER TABLE ref_load ADD COLUMN populations VARCHAR;
