-- The host each peer ran on (as 0008_peer_host.sql for SQLite says).
ALTER TABLE peers ADD COLUMN host text;

INSERT INTO schema_migrations(version, name) VALUES (8, 'peer_host');
