import MarketCore

/// What happens to a run, as the supervisor's shell sees it. The shell feeds these to
/// `Supervision.step`, with the time they happened.
public enum SupervisionEvent: Hashable, Sendable {
    /// The run is recorded and the supervisor is ready: start the peers.
    case launch
    /// The shell's regular look (every 100 ms); `progress` is the run's progress as read from
    /// the database, present whenever `Supervision.wantsProgress` said so.
    case tick(RunTally?)
    /// The run's progress could not be read.
    case progressUnreadable(String)
    case peerReady(PeerID)
    case peerSick(PeerID, SickMode)
    /// The peer wrote its ledger.
    case peerStopped(PeerID)
    case peerStanding(PeerID, PeerStanding)
    /// A store error the peer cannot get past.
    case peerFatal(PeerID, String)
    /// The peer continued after a pause and waits for `proceed`.
    case peerResumed(PeerID)
    /// A peer on another host said which process it is there (its PID on that host).
    case peerProcess(PeerID, pid: Int32)
    /// A kill over ssh of that remote process got through: it is known dead.
    case copyKilled(PeerID, pid: Int32)
    /// Its process ended and is reaped.
    case peerExited(PeerID, PeerExit)
    /// The answer to `SupervisionEffect.probeHost`: the peer's host let ssh in and run a command.
    case hostProbed(PeerID, answered: Bool)
    /// Its process could not be started.
    case spawnFailed(PeerID, String)
    /// Its pipes could not be set up; the process is killed.
    case peerUnreachable(PeerID, String)
    /// Stopped from outside (SIGSTOP, Ctrl-Z on it).
    case peerPaused(PeerID)
    /// Continued after a pause; `missedStop`: the stop itself came and went between two looks.
    case peerContinued(PeerID, missedStop: Bool)
    /// The nemesis could not cut or heal the network (a host's routes could not be changed).
    case nemesisFailed(String)
    /// SIGINT, SIGTERM or SIGHUP.
    case interrupted(signal: Int32)
    /// A write the machine asked for is done (or, for the note that the run is ending, was
    /// tried: the end goes on either way).
    case historyWritten(HistoryWrite)
    /// A write to the history failed for good (the shell's message says which); for the
    /// run's end, `.historyWritten(.end)` never comes and this is the answer instead.
    case historyFailed(HistoryWrite, String)
    /// The summary is printed; `passed`: the history's check passed.
    case summarized(passed: Bool)
    /// A timer asked for with `SupervisionEffect.wake` fired.
    case wake(SupervisionTimer)
}

/// The writes whose completion the machine waits for.
public enum HistoryWrite: Hashable, Sendable {
    /// A fault or a pid: only its failure matters.
    case record
    /// `runs.stopping_at`: no peer hears of the end before the history does.
    case stopping
    /// The run's final status.
    case end
}

/// How a peer's process ended.
public struct PeerExit: Hashable, Sendable, CustomStringConvertible {
    public var description: String
    /// It exited with the code a peer uses when it cannot start at all (bad arguments, no database).
    public var couldNotStart: Bool
    /// A peer on another host whose ssh session ended with ssh's own failure (exit 255): a
    /// host cut off, or a peer killed there by a signal. Its host is asked which.
    public var sessionLost: Bool

    public init(_ description: String, couldNotStart: Bool = false, sessionLost: Bool = false) {
        self.description = description
        self.couldNotStart = couldNotStart
        self.sessionLost = sessionLost
    }
}

/// The run's progress as the database shows it.
public struct RunTally: Hashable, Sendable {
    public var decided: Int
    public var pending: Int
    public var undelivered: Int
    public var epoch: Epoch

    public init(decided: Int, pending: Int, undelivered: Int, epoch: Epoch) {
        self.decided = decided
        self.pending = pending
        self.undelivered = undelivered
        self.epoch = epoch
    }
}

public enum SupervisionTimer: Hashable, Sendable {
    /// A sick peer's process `process` (the how-manieth started for it) is due to recover.
    case recovery(PeerID, process: Int)
    /// A peer whose process is gone is due to start again.
    case restart(PeerID)
    /// An unreachable peer's host is due to be asked again.
    case probe(PeerID)
    /// An abandoned run's peers have had their time to leave.
    case killAll
}
