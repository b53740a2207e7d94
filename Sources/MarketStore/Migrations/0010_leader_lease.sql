-- The trader's lease: until when the trader of the leader record's epoch holds office by the
-- store's clock (ISO-8601 UTC text to the microsecond, as every time). The trader renews it each
-- heartbeat while it hears from another peer, fenced by its epoch; a claim of the next epoch
-- clears it. A peer whose trader falls silent elects only once it has lapsed (NULL: none).
ALTER TABLE leader ADD COLUMN lease_expires_at TEXT;

INSERT INTO schema_migrations(version, name) VALUES (10, 'leader_lease');
