-- How a downloaded file's address was found (a data.gouv.fr resource, an edition, an API
-- listing) and, when something stood in for it (a pinned copy, another year's edition),
-- why: the load journal says so instead of falling back silently.
ALTER TABLE source_fetch ADD COLUMN found_by VARCHAR;
ALTER TABLE source_fetch ADD COLUMN fallback VARCHAR;
