import MarketCore
import MarketStore

/// The faults of a run as the supervisor records them: each one counted by kind and written
/// to the history. When a fault happens and when its peer comes back is `Supervision`'s.
/// Only the event loop's thread touches it.
final class FaultSchedule {
    let history: HistoryWriter
    /// Faults recorded in this run, per kind.
    private(set) var counts: [FaultKind: Int] = [:]

    init(history: HistoryWriter) {
        self.history = history
    }

    func record(_ kind: FaultKind, peer: PeerID) {
        counts[kind, default: 0] += 1
        history.recordFault(kind, peer: peer)
    }
}
