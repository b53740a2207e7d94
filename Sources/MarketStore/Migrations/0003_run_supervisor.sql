-- The process that supervises the run. A run still `running` whose supervisor is gone
-- (SIGKILL, SIGHUP, a machine restart) was abandoned: the next `market run` on the database
-- marks it interrupted, and `market runs`, `inspect` and `check` say so meanwhile.
ALTER TABLE runs ADD COLUMN supervisor_pid INTEGER;

INSERT INTO schema_migrations(version, name) VALUES (3, 'run_supervisor');
