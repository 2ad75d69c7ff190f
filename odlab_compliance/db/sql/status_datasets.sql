-- One row per dataset of one snapshot ($run), with its publisher's name, URL and SIRET:
-- the raw material of the status and of the evidence (attribution is done in Python,
-- where the current human match decisions are applied).
SELECT d.source,
       d.source_key,
       d.dataset_id,
       d.publisher_id,
       d.title,
       d.url,
       d.platform_id,
       d.platform_url,
       TRY_CAST(left(d.last_update, 10) AS DATE) AS last_update,
       d.archived,
       d.deleted,
       d.state_data,
       d.schemas,
       d.harvest_domain,
       d.siren_hint,
       p.name AS publisher,
       p.url  AS publisher_url
FROM harvest_dataset d
LEFT JOIN (SELECT DISTINCT ON (source, publisher_id) source, publisher_id, name, url
           FROM harvest_publisher WHERE run_id = $run) p
       ON p.source = d.source AND p.publisher_id = d.publisher_id
WHERE d.run_id = $run
