-- Grain: one row per collectivité of one vintage (parameter 1: vintage): the reference columns
-- that the obligation rules read and the exports show, in a stable order
-- (régions, départements, intercommunalités, EPT, communes; then by code).
SELECT siren,
       code_insee,
       nom,
       type,
       departement,
       region,
       epci_siren,
       population_totale,
       population_municipale,
       annee_population,
       population_municipale_autre,
       annee_population_autre,
       annee_population_vigueur,
       territoires,
       statut_particulier,
       ept_siren,
       population_note,
       vintage
FROM ref_collectivite
WHERE vintage = ?
ORDER BY CASE type WHEN 'REG' THEN 0 WHEN 'DEP' THEN 1 WHEN 'MET' THEN 2 WHEN 'CU' THEN 3
                   WHEN 'CA' THEN 4 WHEN 'CC' THEN 5 WHEN 'EPT' THEN 6 WHEN 'COM' THEN 7
                   ELSE 8 END,
         code_insee
