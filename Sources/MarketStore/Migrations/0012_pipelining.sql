-- Requests each buyer kept in flight (`market run --in-flight`, a scenario file's `in_flight`):
-- 1 is the protocol as it always was, a buyer waiting for each result before its next request.
-- Runs recorded before this column were all 1.
ALTER TABLE runs ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 1;

-- What each peer wrote to its neighbours, written when it stops with its ledger: envelopes (the
-- protocol's messages) and the frames that carried them (one a neighbour a turn), so a run's
-- messages and writes per buy can be read without tracing it. NULL: not recorded (a peer that
-- crashed, or a run from before this column).
ALTER TABLE peers ADD COLUMN envelopes_written INTEGER;
ALTER TABLE peers ADD COLUMN frames_written INTEGER;

INSERT INTO schema_migrations(version, name) VALUES (12, 'pipelining');
