-- Every collectivité of the reference with a SIREN, in the latest vintage where it
-- appears (the Annuaire is matched against it).
SELECT siren, type, code_insee, nom, departement, region
FROM ref_collectivite
WHERE siren IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY siren ORDER BY vintage DESC) = 1
