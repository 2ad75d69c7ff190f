-- Grain: one row per territory code of one level ($niveau: REG or DEP): its name in the
-- newest vintage that lists it.
SELECT code, arg_max(nom, vintage) AS nom
FROM ref_territoire
WHERE niveau = $niveau
GROUP BY code
