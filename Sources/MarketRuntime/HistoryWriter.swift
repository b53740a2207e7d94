import Dispatch
import Foundation
import MarketCore
import MarketStore

/// The supervisor's writes to the history (faults, pids), in order, off the event loop:
/// while a paused peer holds SQLite's write lock a write waits (up to the store's busy
/// timeout), and the supervisor must go on watching, showing progress and answering
/// signals meanwhile.
final class HistoryWriter: Sendable {
    private let database: MarketDatabase
    private let runID: Int64
    private let queue = DispatchQueue(label: "market.supervisor.writes")
    /// Hears of a write that failed (on the writer's queue).
    private let complain: @Sendable (String) -> Void

    init(database: MarketDatabase, runID: Int64, complain: @escaping @Sendable (String) -> Void) {
        self.database = database
        self.runID = runID
        self.complain = complain
    }

    func recordFault(_ kind: FaultKind, peer: PeerID) {
        let now = Date()  // when it happened, not when the write gets the lock
        write("record a \(kind.rawValue) of P\(peer)") { database, runID in
            try database.recordFault(runID: runID, peer: peer, kind: kind, at: now)
        }
    }

    func recordPID(_ pid: Int32, peer: PeerID) {
        write("record P\(peer)'s pid") { database, runID in
            try database.recordPID(runID: runID, peer: peer, pid: pid)
        }
    }

    /// Marks the run finished, once every write asked for before is done.
    func finishRun(_ status: RunStatus) throws {
        try queue.sync { try database.finishRun(runID: runID, status: status) }
    }

    private func write(_ what: String, _ body: @escaping @Sendable (MarketDatabase, Int64) throws -> Void) {
        let database = database, runID = runID, complain = complain
        queue.async {
            do {
                try body(database, runID)
            } catch {
                complain("cannot \(what): \(error)")
            }
        }
    }
}
