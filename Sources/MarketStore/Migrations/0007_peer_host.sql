-- The host each peer ran on: the supervisor's host name for the peers it starts itself; with
-- peers on several hosts, the host a peer was placed on. NULL for a peer down from the start
-- (it ran nowhere) and in runs recorded before this column.
ALTER TABLE peers ADD COLUMN host TEXT;

INSERT INTO schema_migrations(version, name) VALUES (7, 'peer_host');
