-- The process that supervises the run (as 0003_run_supervisor.sql for SQLite says). On a
-- shared server it is a PID on the supervisor's own host.
ALTER TABLE runs ADD COLUMN supervisor_pid bigint;

INSERT INTO schema_migrations(version, name) VALUES (3, 'run_supervisor');
