import MarketCore

/// One peer as the supervisor's machine sees it: where it stands in the run and what is
/// known of its current process.
public struct SupervisedPeer: Hashable, Sendable {
    public enum State: Hashable, Sendable {
        case starting
        case up
        case sick(SickMode)
        /// Its process is gone; it is started again after `recoverAfter`.
        case down
        /// Its ssh session ended on its own, with ssh's failure: is its host still there?
        /// The host is asked once before anything is recorded.
        case probing
        /// Its host does not answer: recorded once, asked again now and then, and the peer
        /// started anew when it answers. Not a crash: the peer may be alive over there.
        case unreachable
        case stopping
        case stopped
    }

    public let id: PeerID
    public internal(set) var state: State = .starting
    /// A process of it runs (started and not yet reaped).
    public internal(set) var alive = false
    /// Processes started for this peer so far.
    public internal(set) var processes = 0
    /// Stopped from outside (SIGSTOP) and not continued yet: as good as silently sick.
    public internal(set) var paused = false
    /// The machine killed it (a `crash` sickness), so its exit is no news.
    var killedByUs = false
    /// Recoveries and restarts scheduled and not fired yet.
    var comebacks = 0
    /// When its current process was started, and how many of its processes in a row exited
    /// on their own soon after starting.
    var startedAt: Duration = .zero
    public internal(set) var quickExits = 0
    /// Its sickness was over while it was stopped from outside: it recovers when it continues.
    var recoveryDue = false
    /// Every PID a remote peer reported (its own process on its host) that is not known dead:
    /// a kill over ssh that did not get through, or a session lost with its host, leaves one
    /// behind, and the next login to that host kills them all before the peer starts anew,
    /// so that two copies of it never run.
    public internal(set) var remoteCopies: Set<Int32> = []
    /// The PID its current process reported, if it is remote and said so.
    var currentCopy: Int32?
    /// Its process is known gone and recorded; the probe of its host only clears the way
    /// (kills what may be left over there) before it is started again.
    var restartAfterProbe = false
    /// The peer's own word on where it stands.
    var standing = PeerStanding(up: false, traderEpoch: nil, finishedBuying: false)

    init(id: PeerID) {
        self.id = id
    }

    /// While the run stops: told to stop and not stopped yet, or lost with its host, which
    /// may still answer.
    var owesLedger: Bool {
        switch state {
        case .stopping, .probing, .unreachable: true
        default: false
        }
    }

    /// Up, with nothing scheduled and not paused: its standing counts for the end of the run.
    var settledStanding: PeerStanding? {
        state == .up && comebacks == 0 && !paused ? standing : nil
    }
}
