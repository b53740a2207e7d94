-- market: the history schema (the public contract of DESIGN.md) and the store's own tables.
-- Applied in order with the other NNNN_name.sql files; `cat migrations/*.sql | sqlite3 new.db`
-- builds the same schema the binary builds. Contract columns keep their DESIGN.md names;
-- every extra column is nullable or defaulted. Times are ISO-8601 UTC text.

-- Each applied migration, recorded by the migration itself.
CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE runs (
    run_id      INTEGER PRIMARY KEY,
    scenario    TEXT NOT NULL,
    peer_count  INTEGER NOT NULL,
    seed        INTEGER NOT NULL,
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    finished_at TEXT,
    status      TEXT NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'completed', 'failed', 'interrupted'))
);

-- The last four contract columns are the peer's own ledger, written when it stops.
CREATE TABLE peers (
    run_id        INTEGER NOT NULL REFERENCES runs(run_id),
    peer_id       INTEGER NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('buyer', 'seller')),
    product       TEXT NOT NULL,
    pid           INTEGER,
    bought        INTEGER,
    sold          INTEGER,
    cash_cents    INTEGER,
    final_clock   INTEGER,
    down_at_start INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, peer_id)
);

CREATE TABLE faults (
    fault_id INTEGER PRIMARY KEY,
    run_id   INTEGER NOT NULL REFERENCES runs(run_id),
    peer_id  INTEGER NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('sick', 'crash', 'resign', 'recover', 'down_at_start')),
    at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX faults_by_run ON faults(run_id, at);

-- The leader record: one row per run. `epoch` is the fencing token every trader write checks.
CREATE TABLE leader (
    run_id               INTEGER PRIMARY KEY REFERENCES runs(run_id),
    epoch                INTEGER NOT NULL DEFAULT 0,
    leader_id            INTEGER,
    election_in_progress INTEGER NOT NULL DEFAULT 0,
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- When the election now in progress started (extra; NULL when none is known).
    election_started_at  TEXT
);

CREATE TABLE elections (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    epoch        INTEGER NOT NULL,
    initiator_id INTEGER,
    winner_id    INTEGER NOT NULL,
    reason       TEXT,
    started_at   TEXT,
    finished_at  TEXT,
    PRIMARY KEY (run_id, epoch)
);

-- accept_seq (extra) is the order in which traders accepted the deposits.
CREATE TABLE deposits (
    accept_seq INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    deposit_id INTEGER NOT NULL,
    seller_id  INTEGER NOT NULL,
    product    TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity >= 0),
    epoch      INTEGER,
    at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (run_id, deposit_id)
);
CREATE INDEX deposits_by_seller ON deposits(run_id, seller_id);

CREATE TABLE inventory (
    run_id    INTEGER NOT NULL REFERENCES runs(run_id),
    seller_id INTEGER NOT NULL,
    product   TEXT NOT NULL,
    stock     INTEGER NOT NULL DEFAULT 0,
    deposited INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, seller_id, product)
) WITHOUT ROWID;

-- request_id is text like 'P0-17'; decided_seq is the order in which traders decided.
CREATE TABLE requests (
    run_id         INTEGER NOT NULL REFERENCES runs(run_id),
    request_id     TEXT NOT NULL,
    buyer_id       INTEGER NOT NULL,
    product        TEXT NOT NULL,
    quantity       INTEGER NOT NULL DEFAULT 1,
    lamport_ts     INTEGER NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'bought', 'failed')),
    reason         TEXT,
    epoch_received INTEGER,
    epoch_decided  INTEGER,
    decided_seq    INTEGER,
    received_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    decided_at     TEXT,
    PRIMARY KEY (run_id, request_id)
) WITHOUT ROWID;
-- Few indexes on purpose: each one is another page every decision writes. Takeovers, books
-- and reports scan one run's rows, which is cheap next to a commit per decision.
CREATE UNIQUE INDEX requests_by_decided_seq ON requests(run_id, decided_seq) WHERE decided_seq IS NOT NULL;

-- trade_id is the decided_seq of the request it decided.
CREATE TABLE trades (
    run_id           INTEGER NOT NULL REFERENCES runs(run_id),
    trade_id         INTEGER NOT NULL,
    request_id       TEXT NOT NULL,
    buyer_id         INTEGER NOT NULL,
    seller_id        INTEGER NOT NULL,
    trader_id        INTEGER NOT NULL,
    epoch            INTEGER NOT NULL,
    product          TEXT NOT NULL,
    quantity         INTEGER NOT NULL,
    price_cents      INTEGER NOT NULL,
    commission_cents INTEGER NOT NULL DEFAULT 0,
    lamport_ts       INTEGER,
    at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (run_id, trade_id)
) WITHOUT ROWID;
-- At most one trade per request: the store refuses a second one outright.
CREATE UNIQUE INDEX trades_one_per_request ON trades(run_id, request_id);

-- Only with --trace.
CREATE TABLE messages (
    msg_id      INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    kind        TEXT NOT NULL,
    from_id     INTEGER NOT NULL,
    to_id       INTEGER NOT NULL,
    send_clock  INTEGER NOT NULL,
    recv_clock  INTEGER,
    sent_at     TEXT,
    received_at TEXT
);
CREATE INDEX messages_by_run ON messages(run_id);

-- Results to buyers (kind 'buy_result') and payouts to sellers ('payout'), written with the
-- decision that caused them and re-sent by the next trader until the recipient confirms
-- (delivered = 1). The message itself is the request's decision and its trade.
CREATE TABLE outbox (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    request_id   TEXT NOT NULL,
    recipient_id INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('buy_result', 'payout')),
    delivered    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    delivered_at TEXT,
    -- The order in which the decisions that wrote them were made.
    decided_seq  INTEGER,
    PRIMARY KEY (run_id, request_id, recipient_id)
) WITHOUT ROWID;

INSERT INTO schema_migrations(version, name) VALUES (1, 'history');
