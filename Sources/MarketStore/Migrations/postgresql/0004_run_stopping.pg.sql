-- When the run began to end (as 0004_run_stopping.sql for SQLite says).
ALTER TABLE runs ADD COLUMN stopping_at text;

INSERT INTO schema_migrations(version, name) VALUES (4, 'run_stopping');
