-- Grain: one row per SIREN that an Observatoire edition lists with the type of a body
-- that is not a collectivité ($1: those types): that type (the 2022 edition gives none,
-- another edition tells a syndicat or an operator apart).
SELECT siren, min(type)
FROM harvest_observatoire
WHERE type IN (SELECT unnest(?))
GROUP BY siren
