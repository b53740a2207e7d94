-- The host each peer ran on (as 0007_peer_host.sql for SQLite says).
ALTER TABLE peers ADD COLUMN host text;

INSERT INTO schema_migrations(version, name) VALUES (7, 'peer_host');
