-- What a fetch of agent counts covers: 'all' (agents fetch --all) or 'dep:31' (one
-- département, agents fetch --departement 31). A rerun resumes the last unfinished run of
-- its own scope only.
ALTER TABLE agents_fetch_run ADD COLUMN portee VARCHAR DEFAULT 'all';
