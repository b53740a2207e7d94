-- A host the supervisor cannot reach: `unreachable` and `reachable` faults (as
-- 0009_fault_reachability.sql for SQLite says).
ALTER TABLE faults DROP CONSTRAINT faults_kind_check;
ALTER TABLE faults ADD CONSTRAINT faults_kind_check
    CHECK (kind IN ('sick', 'crash', 'resign', 'recover', 'down_at_start', 'unreachable', 'reachable'));

INSERT INTO schema_migrations(version, name) VALUES (9, 'fault_reachability');
