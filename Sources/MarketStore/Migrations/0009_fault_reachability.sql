-- A host the supervisor cannot reach is not a crash: its peer is recorded `unreachable`
-- once, and `reachable` when the host answers again (the peer is then started anew).
-- SQLite cannot change a CHECK in place, so the table is made again with the wider one.
CREATE TABLE faults_reachability (
    fault_id INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(run_id),
    peer_id  INTEGER NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('sick', 'crash', 'resign', 'recover', 'down_at_start',
                                           'unreachable', 'reachable')),
    at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO faults_reachability(fault_id, run_id, peer_id, kind, at)
    SELECT fault_id, run_id, peer_id, kind, at FROM faults;
DROP TABLE faults;
ALTER TABLE faults_reachability RENAME TO faults;
CREATE INDEX faults_by_run ON faults(run_id, at);

INSERT INTO schema_migrations(version, name) VALUES (9, 'fault_reachability');
