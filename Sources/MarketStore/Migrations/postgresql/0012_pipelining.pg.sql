-- Requests each buyer kept in flight, and what each peer wrote to its neighbours (as
-- 0012_pipelining.sql for SQLite says).
ALTER TABLE runs ADD COLUMN in_flight bigint NOT NULL DEFAULT 1;
ALTER TABLE peers ADD COLUMN envelopes_written bigint;
ALTER TABLE peers ADD COLUMN frames_written bigint;

INSERT INTO schema_migrations(version, name) VALUES (12, 'pipelining');
