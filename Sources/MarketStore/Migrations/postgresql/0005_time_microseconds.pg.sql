-- Times to the microsecond. For SQLite this migration widens the millisecond times that
-- databases written before it held. A PostgreSQL history never held any: its schema is new
-- with this migration's number already in sight, `market` writes six fractional digits and
-- market_utc_now() (0001) gives them too. So there is nothing to rewrite; the migration only
-- records itself, so that both engines list the same versions.
INSERT INTO schema_migrations(version, name) VALUES (5, 'time_microseconds');
