import Foundation
import GRDB
import MarketCore
import MarketStore

/// The runtime's databases on MarketStore's `MarketDatabase`.
public struct MarketStoreOpener: DatabaseOpener {
    public init() {}

    public func openForPeer(path: String, durability: Durability, runID: Int64) throws -> any PeerDatabase {
        PeerStoreDatabase(database: try MarketDatabase.open(path: path, durability: durability), runID: runID)
    }

    public func openForSupervisor(path: String, durability: Durability) throws -> any SupervisorDatabase {
        try SupervisorStoreDatabase(database: try MarketDatabase.open(path: path, durability: durability))
    }
}

final class PeerStoreDatabase: PeerDatabase {
    let database: MarketDatabase
    let runID: Int64
    let store: any TradingPostStore

    init(database: MarketDatabase, runID: Int64) {
        self.database = database
        self.runID = runID
        store = database.store(runID: runID)
    }

    func recordLedger(peer: PeerID, ledger: Ledger, finalClock: UInt64) throws {
        try database.recordLedger(runID: runID, peer: peer, ledger: ledger, finalClock: finalClock)
    }

    func recordMessages(_ messages: [TracedMessage]) throws {
        try database.recordMessages(runID: runID, messages)
    }
}

/// The supervisor's view. Writes go through `MarketDatabase`; the few reads the store has no
/// call for yet (undelivered outbox rows, the summary) read the public history schema of
/// DESIGN.md through a read-only connection.
final class SupervisorStoreDatabase: SupervisorDatabase {
    let database: MarketDatabase
    private let reader: DatabaseQueue
    private var runID: Int64 = 0

    init(database: MarketDatabase) throws {
        self.database = database
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        reader = try DatabaseQueue(path: database.path, configuration: config)
    }

    func beginRun(scenario: Scenario) throws -> Int64 {
        runID = try database.beginRun(scenario: scenario.name, peerCount: scenario.peers.count, seed: scenario.seed,
                                      peers: scenario.peers)
        return runID
    }

    func recordFault(peer: PeerID, kind: FaultKind) throws {
        try database.recordFault(runID: runID, peer: peer, kind: kind)
    }

    func recordPID(peer: PeerID, pid: Int32) throws {
        try database.recordPID(runID: runID, peer: peer, pid: pid)
    }

    func finishRun(_ status: RunStatus) throws {
        try database.finishRun(runID: runID, status: status)
    }

    func snapshot() throws -> RunSnapshot {
        let progress = try database.progress(runID: runID)
        let undelivered = try reader.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE run_id = ? AND delivered = 0",
                             arguments: [runID]) ?? 0
        }
        return RunSnapshot(decided: progress.decided, bought: progress.bought, pending: progress.pending,
                           undelivered: undelivered, epoch: progress.epoch, leader: progress.leader,
                           elections: progress.elections)
    }

    func record() throws -> RunRecord {
        try reader.read { db in
            var record = RunRecord()
            record.peers = try Row.fetchAll(db, sql: """
                SELECT peer_id, role, product, bought, sold, cash_cents, final_clock FROM peers
                WHERE run_id = ? ORDER BY peer_id
                """, arguments: [runID]).map { row in
                RunRecord.PeerRow(peer: row["peer_id"], role: row["role"], product: row["product"], bought: row["bought"],
                                  sold: row["sold"], cashCents: row["cash_cents"], finalClock: row["final_clock"])
            }
            record.elections = try Row.fetchAll(db, sql: """
                SELECT epoch, initiator_id, winner_id, reason FROM elections WHERE run_id = ? ORDER BY epoch
                """, arguments: [runID]).map { row in
                RunRecord.ElectionRow(epoch: row["epoch"], initiator: row["initiator_id"] ?? -1, winner: row["winner_id"],
                                      reason: row["reason"] ?? "")
            }
            let counts = try Row.fetchOne(db, sql: """
                SELECT count(*) FILTER (WHERE status = 'bought') AS bought,
                       count(*) FILTER (WHERE status = 'failed') AS failed,
                       count(*) FILTER (WHERE status != 'pending' AND epoch_decided > epoch_received) AS takeovers
                FROM requests WHERE run_id = ?
                """, arguments: [runID])!
            record.bought = counts["bought"] ?? 0
            record.failed = counts["failed"] ?? 0
            record.decided = record.bought + record.failed
            record.takeovers = counts["takeovers"] ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM faults WHERE run_id = ? GROUP BY kind",
                                        arguments: [runID]) {
                record.faults[row["kind"]] = row["n"]
            }
            return record
        }
    }

    func check() throws -> [String] {
        try TemporaryHistoryCheck.violations(reader: reader, runID: runID)
    }
}

/// TEMPORARY until the store's history checker lands: the main invariants of a run, read
/// from the public schema. Every violation is one line.
enum TemporaryHistoryCheck {
    static func violations(reader: DatabaseQueue, runID: Int64) throws -> [String] {
        try reader.read { db in
            var problems: [String] = []
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: [runID]) ?? 0 }
            let pending = try count("SELECT count(*) FROM requests WHERE run_id = ? AND status = 'pending'")
            if pending > 0 { problems.append("\(pending) requests still pending") }
            let doubled = try count("""
                SELECT count(*) FROM (SELECT request_id FROM trades WHERE run_id = ? GROUP BY request_id HAVING count(*) > 1)
                """)
            if doubled > 0 { problems.append("\(doubled) requests traded more than once") }
            let mismatched = try count("""
                SELECT count(*) FROM requests r WHERE r.run_id = ?1 AND
                  ((r.status = 'bought') != EXISTS (SELECT 1 FROM trades t WHERE t.run_id = ?1 AND t.request_id = r.request_id))
                """)
            if mismatched > 0 { problems.append("\(mismatched) requests whose status disagrees with the trades") }
            let undecidedSeq = try count("""
                SELECT count(*) FROM requests WHERE run_id = ? AND status != 'pending' AND decided_seq IS NULL
                """)
            if undecidedSeq > 0 { problems.append("\(undecidedSeq) decided requests without a decision order") }
            let foreignTrader = try count("""
                SELECT count(*) FROM trades t WHERE t.run_id = ?1 AND NOT EXISTS
                  (SELECT 1 FROM elections e WHERE e.run_id = ?1 AND e.epoch = t.epoch AND e.winner_id = t.trader_id)
                """)
            if foreignTrader > 0 { problems.append("\(foreignTrader) trades made by a peer that did not lead their epoch") }
            let oversold = try count("""
                SELECT count(*) FROM (
                  SELECT d.seller_id, d.product, d.deposited,
                         (SELECT coalesce(sum(quantity), 0) FROM trades t
                          WHERE t.run_id = ?1 AND t.seller_id = d.seller_id AND t.product = d.product) AS sold
                  FROM (SELECT seller_id, product, sum(quantity) AS deposited FROM deposits WHERE run_id = ?1
                        GROUP BY seller_id, product) d)
                WHERE sold > deposited
                """)
            if oversold > 0 { problems.append("\(oversold) seller/product pairs sold more than deposited") }
            // Every ledger equals the books of the trades.
            let rows = try Row.fetchAll(db, sql: """
                SELECT p.peer_id, p.bought, p.sold, p.cash_cents,
                  (SELECT coalesce(sum(quantity), 0) FROM trades WHERE run_id = ?1 AND buyer_id = p.peer_id) AS b,
                  (SELECT coalesce(sum(quantity), 0) FROM trades WHERE run_id = ?1 AND seller_id = p.peer_id) AS s,
                  (SELECT coalesce(sum(price_cents - commission_cents), 0) FROM trades WHERE run_id = ?1 AND seller_id = p.peer_id)
                  - (SELECT coalesce(sum(price_cents), 0) FROM trades WHERE run_id = ?1 AND buyer_id = p.peer_id)
                  + (SELECT coalesce(sum(commission_cents), 0) FROM trades WHERE run_id = ?1 AND trader_id = p.peer_id) AS cash
                FROM peers p WHERE p.run_id = ?1 AND p.down_at_start = 0 ORDER BY p.peer_id
                """, arguments: [runID])
            for row in rows {
                let peer: Int = row["peer_id"]
                guard let bought: Int = row["bought"], let sold: Int = row["sold"], let cash: Int = row["cash_cents"] else {
                    problems.append("P\(peer) wrote no ledger")
                    continue
                }
                let b: Int = row["b"], s: Int = row["s"], c: Int = row["cash"]
                if (bought, sold, cash) != (b, s, c) {
                    problems.append("P\(peer)'s ledger (bought \(bought), sold \(sold), cash \(cash)) differs from the trades (\(b), \(s), \(c))")
                }
            }
            return problems
        }
    }
}
