-- Grain: one row per collectivité of a reference vintage ($1, or the latest loaded when
-- NULL): SIREN and name, to show a match to people.
SELECT siren, nom
FROM ref_collectivite
WHERE vintage = coalesce(?, (SELECT max(vintage) FROM ref_collectivite))
  AND siren IS NOT NULL
