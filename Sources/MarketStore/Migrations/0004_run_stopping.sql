-- When the run began to end: the supervisor said stop (every request decided, a failure, an
-- interrupt), or the first peer found the supervisor gone. It is written before any peer is
-- told, so whatever the ending sets off (a peer that sees its trader leave and starts an
-- election) comes after it; `market check` does not hold such an election against Bully.
ALTER TABLE runs ADD COLUMN stopping_at TEXT;

INSERT INTO schema_migrations(version, name) VALUES (4, 'run_stopping');
