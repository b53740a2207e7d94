-- Who started the election in progress, and why (as 0002_election_origin.sql for SQLite says).
ALTER TABLE leader ADD COLUMN election_initiator_id bigint;
ALTER TABLE leader ADD COLUMN election_reason text;

INSERT INTO schema_migrations(version, name) VALUES (2, 'election_origin');
