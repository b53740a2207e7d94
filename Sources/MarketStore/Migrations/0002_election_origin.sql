-- Who started the election in progress, and why. Bully's cascade makes the winner's own
-- reason "bully" more often than not; the claim that ends the election records the origin
-- instead, so `elections.reason` says why the run needed a new trader.
ALTER TABLE leader ADD COLUMN election_initiator_id INTEGER;
ALTER TABLE leader ADD COLUMN election_reason TEXT;

INSERT INTO schema_migrations(version, name) VALUES (2, 'election_origin');
