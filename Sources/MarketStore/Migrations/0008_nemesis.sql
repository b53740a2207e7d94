-- Network faults (`market run --nemesis`): each action on the links and each heal, in the order
-- the supervisor took them. action: partition | isolate-trader | one-way | bridge | flaky | heal.
-- groups: the sides the action drew, '0 2 5 | 1 3 4' (a bridge peer is in both; flaky: the pairs
-- cut); links: the directed links cut from then on, '0>1,1>0' (empty: none, as after a heal).
CREATE TABLE nemesis (
    nemesis_id INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    action     TEXT NOT NULL CHECK (action IN ('partition', 'isolate-trader', 'one-way', 'bridge', 'flaky', 'heal')),
    groups     TEXT NOT NULL DEFAULT '',
    links      TEXT NOT NULL DEFAULT '',
    at         TEXT NOT NULL
);
CREATE INDEX nemesis_by_run ON nemesis(run_id, at);

INSERT INTO schema_migrations(version, name) VALUES (8, 'nemesis');
