import Dispatch
import Foundation
import MarketCore
import MarketStore
import NIOCore

/// The supervisor's writes to the history (faults, pids), in order, off the event loop:
/// while a paused peer holds SQLite's write lock a write waits (up to the store's busy
/// timeout), and the supervisor must go on watching, showing progress and answering
/// signals meanwhile.
final class HistoryWriter: Sendable {
    private let database: MarketDatabase
    private let runID: Int64
    private let queue = DispatchQueue(label: "market.supervisor.writes")
    /// Hears of a write that waits on the lock, and of one that failed for good (on the
    /// writer's queue); a record that cannot be written makes the history untrue, so the
    /// supervisor ends the run.
    private let waiting: @Sendable (String) -> Void
    private let failed: @Sendable (String) -> Void
    /// How long a write keeps trying while other processes hold the lock, beyond the
    /// store's own busy timeout: long enough for any pause a run survives.
    static let patience: Duration = .seconds(60)

    init(database: MarketDatabase, runID: Int64, waiting: @escaping @Sendable (String) -> Void,
         failed: @escaping @Sendable (String) -> Void) {
        self.database = database
        self.runID = runID
        self.waiting = waiting
        self.failed = failed
    }

    func recordFault(_ kind: FaultKind, peer: PeerID, at date: Date = Date()) {
        // `date`: when it happened, not when the write gets the lock.
        write("record a \(kind.rawValue) of P\(peer)") { database, runID in
            try database.recordFault(runID: runID, peer: peer, kind: kind, at: date)
        }
    }

    /// One nemesis action, or with nil a heal, as it happened.
    func recordNemesis(_ cut: NemesisCut?, at date: Date = Date()) {
        write("record a nemesis \(cut?.kind.rawValue ?? "heal")") { database, runID in
            try database.recordNemesis(runID: runID, cut, at: date)
        }
    }

    func recordPID(_ pid: Int32, peer: PeerID) {
        write("record P\(peer)'s pid") { database, runID in
            try database.recordPID(runID: runID, peer: peer, pid: pid)
        }
    }

    /// Records that the run is ending (`runs.stopping_at`, now), then runs `then` on `loop`
    /// whether or not the write could be made: the peers are told only after it, so what
    /// their leaving sets off comes after it in the history.
    func noteStopping(on loop: EventLoop, then: @escaping @Sendable () -> Void) {
        let date = Date()
        write("record that the run is ending") { database, runID in
            try database.noteStopping(runID: runID, at: date)
        }
        queue.async { loop.execute(then) }
    }

    /// Marks the run finished, once every write asked for before is done.
    func finishRun(_ status: RunStatus) throws {
        try queue.sync {
            try Self.persevering { try database.finishRun(runID: runID, status: status) }
        }
    }

    private func write(_ what: String, _ body: @escaping @Sendable (MarketDatabase, Int64) throws -> Void) {
        let database = database, runID = runID, waiting = waiting, failed = failed
        queue.async {
            do {
                try Self.persevering(onWait: { waiting("waiting for the database's lock to \(what)") }) {
                    try body(database, runID)
                }
            } catch {
                failed("cannot \(what): \(error)")
            }
        }
    }

    /// Runs `body` until it is not refused for a lock held elsewhere, for `patience` at most.
    private static func persevering(onWait: () -> Void = {}, _ body: () throws -> Void) throws {
        try StoreError.persevering(patience: patience, every: .milliseconds(50), onWait: onWait, body)
    }
}
