-- Grain: one row per human match decision ever recorded (append-only log), oldest first.
-- The current decision of a (publisher_id, siren) pair is its last row.
SELECT seq, publisher_id, siren, decision, source, note, auteur, decided_at
FROM match_decision
ORDER BY seq
