import MarketCore
import MarketStore
import NIOCore

/// The faults of a run as the supervisor sees them: each one counted by kind and written
/// to the history, and each sick or crashed peer brought back after the scenario's
/// `recoverAfter`. Only the event loop's thread touches it.
final class FaultSchedule {
    let loop: EventLoop
    let recoverAfter: TimeAmount
    let history: HistoryWriter
    /// Faults recorded in this run, per kind.
    private(set) var counts: [FaultKind: Int] = [:]

    init(loop: EventLoop, recoverAfter: Duration, history: HistoryWriter) {
        self.loop = loop
        self.recoverAfter = TimeAmount(recoverAfter)
        self.history = history
    }

    /// The fault a peer's reported sickness is recorded as.
    static func kind(of mode: SickMode) -> FaultKind {
        switch mode {
        case .silent: .sick
        case .crash: .crash
        case .resign: .resign
        }
    }

    func record(_ kind: FaultKind, peer: PeerID) {
        counts[kind, default: 0] += 1
        history.recordFault(kind, peer: peer)
    }

    /// After `recoverAfter`, if `stillDue()` says the peer is still to come back then: records
    /// its `recover` and runs `comeBack`. Meanwhile the slot says a comeback is scheduled.
    func scheduleRecovery(of slot: PeerSlot, after delay: TimeAmount? = nil, if stillDue: @escaping () -> Bool,
                          comeBack: @escaping () -> Void) {
        slot.comebackScheduled = true
        loop.assumeIsolated().scheduleTask(in: delay ?? recoverAfter) { [self] in
            slot.comebackScheduled = false
            guard stillDue() else { return }
            record(.recover, peer: slot.id)
            comeBack()
        }
    }
}
