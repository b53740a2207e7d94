#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MarketCore
import NIOCore

/// One peer as the supervisor sees it: its current process (kept by `ProcessTable`) and
/// where it stands in the run (kept by `Supervisor`).
final class PeerSlot {
    enum State: Equatable {
        case starting
        case up
        case sick(SickMode)
        /// Its process is gone; it is started again after `recoverAfter`.
        case down
        case stopping
        case stopped
    }

    let id: PeerID

    // The process, as `ProcessTable` keeps it.
    var pid: pid_t = 0
    var channel: Channel?
    /// Processes started for this peer so far.
    var starts = 0
    /// Stopped from outside (SIGSTOP) and not continued yet: as good as silently sick.
    var paused = false
    /// The exit status, when the watch for pauses collected it first.
    var collected: ExitStatus?

    // The peer in the run, as `Supervisor` keeps it.
    var state: State = .starting
    /// The supervisor killed it (a `crash` sickness), so its exit is no news.
    var killedByUs = false
    /// A recovery or a restart is scheduled (`FaultSchedule`).
    var comebackScheduled = false
    /// When its current process was started, and how many of its processes in a row exited
    /// on their own soon after starting.
    var startedAt = NIODeadline.distantPast
    var quickExits = 0
    /// Its sickness was over while it was stopped from outside: it recovers when it continues.
    var recoveryDue = false
    /// The peer's own word on where it stands (`PeerReport.state`).
    var standing = PeerStanding(up: false, traderEpoch: nil, finishedBuying: false)

    init(id: PeerID) {
        self.id = id
    }

    var isAlive: Bool { pid != 0 }

    /// Up, with nothing scheduled and not paused: its standing counts for the end of the run.
    var settledStanding: PeerStanding? {
        state == .up && !comebackScheduled && !paused ? standing : nil
    }
}
