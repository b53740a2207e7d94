-- The trader's lease (as 0010_leader_lease.sql for SQLite says): kept by the server's clock,
-- the one clock every host of a shared store agrees on.
ALTER TABLE leader ADD COLUMN lease_expires_at text;

INSERT INTO schema_migrations(version, name) VALUES (10, 'leader_lease');
