import Foundation
import MarketCore
import MarketStore

/// The runtime's databases on MarketStore's `MarketDatabase`.
public struct MarketStoreOpener: DatabaseOpener {
    public init() {}

    public func openForPeer(path: String, durability: Durability, runID: Int64) throws -> any PeerDatabase {
        PeerStoreDatabase(database: try MarketDatabase.open(path: path, durability: durability), runID: runID)
    }

    public func openForSupervisor(path: String, durability: Durability) throws -> any SupervisorDatabase {
        let writer = try MarketDatabase.open(path: path, durability: durability)
        return SupervisorStoreDatabase(database: writer, reader: try MarketDatabase.open(path: path, durability: durability))
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

/// The supervisor's view, all through `MarketDatabase`, with two connections: one that
/// writes (faults, pids; it may wait on a paused peer's write lock) and one that reads
/// progress, which WAL never makes wait.
final class SupervisorStoreDatabase: SupervisorDatabase {
    let database: MarketDatabase
    let reader: MarketDatabase
    private var runID: Int64 = 0

    init(database: MarketDatabase, reader: MarketDatabase) {
        self.database = database
        self.reader = reader
    }

    func beginRun(scenario: Scenario) throws -> Int64 {
        runID = try database.beginRun(scenario: scenario.name, peerCount: scenario.peers.count, seed: scenario.seed,
                                      peers: scenario.peers)
        return runID
    }

    func recordFault(peer: PeerID, kind: FaultKind, at date: Date) throws {
        try database.recordFault(runID: runID, peer: peer, kind: kind, at: date)
    }

    func recordPID(peer: PeerID, pid: Int32) throws {
        try database.recordPID(runID: runID, peer: peer, pid: pid)
    }

    func finishRun(_ status: RunStatus) throws {
        try database.finishRun(runID: runID, status: status)
    }

    func snapshot() throws -> RunSnapshot {
        let progress = try reader.progress(runID: runID)
        return RunSnapshot(decided: progress.decided, bought: progress.bought, pending: progress.pending,
                           undelivered: progress.undelivered, epoch: progress.epoch, leader: progress.leader,
                           elections: progress.elections)
    }

    func record() throws -> RunHistory {
        let inspection = try reader.inspect(runID: runID, head: 0, trades: 0)
        let progress = try reader.progress(runID: runID)
        var record = RunHistory()
        record.peers = inspection.peers.map { peer in
            RunHistory.PeerRow(peer: peer.peer, role: peer.role, product: peer.product, bought: peer.bought,
                               sold: peer.sold, cashCents: peer.cashCents, finalClock: peer.finalClock.map { Int($0) })
        }
        record.elections = inspection.elections.map { election in
            RunHistory.ElectionRow(epoch: election.epoch, initiator: election.initiator ?? -1, winner: election.winner,
                                   reason: election.reason ?? "")
        }
        record.bought = progress.bought
        record.failed = progress.failed
        record.decided = progress.decided
        record.takeovers = progress.takeovers
        record.made = progress.decided + progress.pending
        return record
    }

    func check() throws -> CheckOutcome {
        let report = try HistoryChecker(database: reader).check(runID: runID)
        return CheckOutcome(verdict: report.verdict,
                            violations: report.items.flatMap { item in item.violations.map { "\(item.name): \($0)" } })
    }
}
