-- One row per outline of a level and vintage (code, nom, WKB geometry in WGS84).
SELECT code, nom, geometry
FROM ref_geometry
WHERE vintage = ? AND niveau = ?
ORDER BY code
