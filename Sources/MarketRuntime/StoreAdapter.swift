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

    func record() throws -> RunHistory {
        try reader.read { db in
            var record = RunHistory()
            record.peers = try Row.fetchAll(db, sql: """
                SELECT peer_id, role, product, bought, sold, cash_cents, final_clock FROM peers
                WHERE run_id = ? ORDER BY peer_id
                """, arguments: [runID]).map { row in
                RunHistory.PeerRow(peer: row["peer_id"], role: row["role"], product: row["product"], bought: row["bought"],
                                  sold: row["sold"], cashCents: row["cash_cents"], finalClock: row["final_clock"])
            }
            record.elections = try Row.fetchAll(db, sql: """
                SELECT epoch, initiator_id, winner_id, reason FROM elections WHERE run_id = ? ORDER BY epoch
                """, arguments: [runID]).map { row in
                RunHistory.ElectionRow(epoch: row["epoch"], initiator: row["initiator_id"] ?? -1, winner: row["winner_id"],
                                      reason: row["reason"] ?? "")
            }
            let counts = try Row.fetchOne(db, sql: """
                SELECT count(*) FILTER (WHERE status = 'bought') AS bought,
                       count(*) FILTER (WHERE status = 'failed') AS failed,
                       count(*) FILTER (WHERE status != 'pending' AND epoch_decided > epoch_received) AS takeovers,
                       count(*) AS made
                FROM requests WHERE run_id = ?
                """, arguments: [runID])!
            record.bought = counts["bought"] ?? 0
            record.failed = counts["failed"] ?? 0
            record.decided = record.bought + record.failed
            record.takeovers = counts["takeovers"] ?? 0
            record.made = counts["made"] ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM faults WHERE run_id = ? GROUP BY kind",
                                        arguments: [runID]) {
                record.faults[row["kind"]] = row["n"]
            }
            return record
        }
    }

    func check() throws -> CheckOutcome {
        let report = try HistoryChecker(database: database).check(runID: runID)
        return CheckOutcome(verdict: report.verdict,
                            violations: report.items.flatMap { item in item.violations.map { "\(item.name): \($0)" } })
    }
}
