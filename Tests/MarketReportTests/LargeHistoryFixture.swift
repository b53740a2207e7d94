import Foundation
import GRDB
import MarketStore

/// A history as large as the report must handle, written with SQL into a migrated database:
/// 128 peers (P0–P31 buy, P32–P127 sell), 100 000 requests over 200 s, P127 trading and
/// falling sick every 5 s while P126 takes over its queue (81 elections, 80 faults). The
/// times are made up but consistent, so the history check passes on it.
enum LargeHistoryFixture {
    static let requests = 100_000
    static let peers = 128

    static func write(path: String) throws -> Int64 {
        let runID = try MarketDatabase.open(path: path).beginRun(scenario: "large_fixture", peerCount: peers, seed: 1, peers: [])
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let start = try String.fetchOne(db, sql: "SELECT started_at FROM runs WHERE run_id = ?", arguments: [runID])!
            try db.execute(sql: script, arguments: ["run": runID, "start": start, "requests": requests, "peers": peers])
        }
        return runID
    }

    /// Times are the ISO-8601 text `ms` milliseconds after the run started, in the history's
    /// six-digit form (`%f` gives milliseconds, `000` widens them).
    static let script = """
        CREATE TEMP TABLE n(i INTEGER PRIMARY KEY);
        WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < max(:requests, :peers)) INSERT INTO n SELECT i FROM c;

        INSERT INTO peers(run_id, peer_id, role, product)
        SELECT :run, i, CASE WHEN i < 32 THEN 'buyer' ELSE 'seller' END, CASE i % 3 WHEN 0 THEN 'salt' WHEN 1 THEN 'boar' ELSE 'fish' END
        FROM n WHERE i < :peers;

        -- Epoch 1 at 200 ms; every 5 s P127 falls sick, P126 wins, P127 recovers and wins again.
        CREATE TEMP TABLE e AS
        SELECT 1 AS epoch, 127 AS winner, 127 AS initiator, 'startup' AS reason, 150.0 AS started, 200.0 AS finished
        UNION ALL
        SELECT 2 * i, 126, 40 + i % 90, 'heartbeat timeout', 5000.0 * i - 150, 5000.0 * i FROM n WHERE i BETWEEN 1 AND 40
        UNION ALL
        SELECT 2 * i + 1, 127, 127, 'recovery', 5000.0 * i + 500, 5000.0 * i + 502 FROM n WHERE i BETWEEN 1 AND 40;
        INSERT INTO elections(run_id, epoch, initiator_id, winner_id, reason, started_at, finished_at)
        SELECT :run, epoch, initiator, winner, reason,
               strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + started / 86400000.0),
               strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + finished / 86400000.0)
        FROM e;
        INSERT INTO faults(run_id, peer_id, kind, at)
        SELECT :run, 127, kind, strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + at / 86400000.0)
        FROM (SELECT 'sick' AS kind, 5000.0 * i - 450 AS at FROM n WHERE i BETWEEN 1 AND 40
              UNION ALL SELECT 'recover', 5000.0 * i + 499 FROM n WHERE i BETWEEN 1 AND 40);
        UPDATE leader SET epoch = (SELECT max(epoch) FROM e), leader_id = 127 WHERE run_id = :run;

        -- A request every 2 ms; one that arrives while P127 is sick goes to P126 once it is in
        -- office; one that P127 queued just before falling sick is decided by P126 (a takeover).
        CREATE TEMP TABLE q AS
        SELECT i, i % 32 AS buyer, i % 32 % 3 AS product,
               CASE WHEN t % 5000 >= 4550 THEN (t / 5000 + 1) * 5000.0 + 2 + i % 7 ELSE t * 1.0 END AS received,
               t % 5000 BETWEEN 4350 AND 4549 AS taken_over, t / 5000 AS slot
        FROM (SELECT i, i * 2 + 200 AS t FROM n WHERE i < :requests);
        CREATE TEMP TABLE d AS
        SELECT q.*, (SELECT max(epoch) FROM e WHERE e.finished <= q.received) AS epoch_received,
               CASE WHEN taken_over THEN (slot + 1) * 5000.0 + 3 + i % 40 ELSE received + 1 + (i * 7919) % 13 END AS decided,
               CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'bought' END AS status
        FROM q;
        CREATE TEMP TABLE r AS
        SELECT d.*, (SELECT max(epoch) FROM e WHERE e.finished <= d.decided) AS epoch_decided,
               row_number() OVER (ORDER BY (SELECT max(epoch) FROM e WHERE e.finished <= d.decided), i) AS seq,
               33 + 3 * ((i / 32) % 31) + product AS seller
        FROM d;
        INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, reason,
                             epoch_received, epoch_decided, decided_seq, received_at, decided_at)
        SELECT :run, 'P' || buyer || '-' || (i / 32), buyer, CASE product WHEN 0 THEN 'salt' WHEN 1 THEN 'boar' ELSE 'fish' END, 1,
               i + 1, status, CASE status WHEN 'failed' THEN 'no seller' END, epoch_received, epoch_decided, seq,
               strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + received / 86400000.0),
               strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + decided / 86400000.0)
        FROM r;
        INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                           price_cents, commission_cents, lamport_ts, at)
        SELECT :run, seq, 'P' || buyer || '-' || (i / 32), buyer, seller, (SELECT winner FROM e WHERE e.epoch = r.epoch_decided),
               epoch_decided, CASE product WHEN 0 THEN 'salt' WHEN 1 THEN 'boar' ELSE 'fish' END, 1, 100, 10, i + 1,
               strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + decided / 86400000.0)
        FROM r WHERE status = 'bought';
        INSERT INTO deposits(run_id, deposit_id, seller_id, product, quantity, epoch, at)
        SELECT :run, seller_id, seller_id, product, count(*) + 10, 1, strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + 0.0001)
        FROM trades WHERE run_id = :run GROUP BY seller_id, product;
        -- Every peer's ledger as the trades book it: a completed run has one from each.
        UPDATE peers SET
            bought = (SELECT coalesce(sum(quantity), 0) FROM trades t WHERE t.run_id = :run AND t.buyer_id = peers.peer_id),
            sold = (SELECT coalesce(sum(quantity), 0) FROM trades t WHERE t.run_id = :run AND t.seller_id = peers.peer_id),
            cash_cents = (SELECT coalesce(sum(CASE WHEN t.buyer_id = peers.peer_id THEN -t.price_cents ELSE 0 END
                                              + CASE WHEN t.seller_id = peers.peer_id THEN t.price_cents - t.commission_cents ELSE 0 END
                                              + CASE WHEN t.trader_id = peers.peer_id THEN t.commission_cents ELSE 0 END), 0)
                          FROM trades t WHERE t.run_id = :run),
            final_clock = 0
        WHERE run_id = :run;
        INSERT INTO inventory(run_id, seller_id, product, stock, deposited)
        SELECT :run, seller_id, product, 10, quantity FROM deposits WHERE run_id = :run;
        UPDATE runs SET status = 'completed',
               finished_at = strftime('%Y-%m-%dT%H:%M:%f000Z', julianday(:start) + (SELECT max(decided) + 50 FROM r) / 86400000.0)
        WHERE run_id = :run;
        DROP TABLE n; DROP TABLE e; DROP TABLE q; DROP TABLE d; DROP TABLE r;
        """
}
