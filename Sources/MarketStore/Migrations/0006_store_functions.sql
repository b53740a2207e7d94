-- The store's hot writes as server functions, for PostgreSQL only (see
-- postgresql/0006_store_functions.pg.sql): there each statement of a transaction is a round
-- trip to the server, and a decision's dozen statements became a dozen. SQLite runs in the
-- process, where a statement costs microseconds, so nothing changes here; the migration only
-- records itself, so that both engines list the same versions.
INSERT INTO schema_migrations(version, name) VALUES (6, 'store_functions');
