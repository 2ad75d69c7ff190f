-- One row per SIREN of a collectivité of one département (bound twice: ?, ?), in the
-- latest vintage of ref_collectivite: its communes, the EPCI/EPT recorded in it, and the
-- département collectivité itself. Empty when no reference vintage is loaded.
SELECT DISTINCT siren
FROM ref_collectivite
WHERE siren IS NOT NULL
  AND (departement = ? OR (type = 'DEP' AND code_insee = ?))
  AND vintage = (SELECT max(vintage) FROM ref_collectivite)
ORDER BY siren
