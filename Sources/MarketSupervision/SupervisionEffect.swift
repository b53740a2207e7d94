import MarketCore

/// What a step asks the shell to do, in order.
public enum SupervisionEffect: Hashable, Sendable {
    /// Start a process for the peer (`restart`: it reads its books from the store) and record its pid.
    /// If it cannot be started, feed `.spawnFailed`.
    case spawn(PeerID, restart: Bool)
    case tell(PeerID, PeerOrder)
    /// SIGKILL.
    case kill(PeerID)
    /// Ask the peer's host, over a short ssh login, whether it answers; in the same login,
    /// kill the peer's processes there that may still run (`killing`: the PIDs they reported),
    /// so that two copies never run. Answer `.hostProbed`.
    case probeHost(PeerID, killing: [Int32])
    case killAll
    /// Tell every peer to leave and close its pipes: each exits when it sees the end.
    case closePipes
    /// Look at once for peers stopped or continued from outside (feeds `.peerPaused` / `.peerContinued`).
    case lookAtPauses
    /// Write the fault to the history, now (answer `.historyFailed(.record, …)` if it cannot be).
    case record(RunFault, PeerID)
    /// Write that the run is ending; answer `.historyWritten(.stopping)` once tried.
    case noteStopping
    /// Write the run's end, after every write asked for before; answer `.historyWritten(.end)`
    /// or `.historyFailed(.end, …)`.
    case finishRun(RunEnd)
    /// Print the summary (`seconds`: how long the run ran) and keep or remove the peers' logs;
    /// answer `.summarized`.
    case summarize(RunEnd, problem: String?, seconds: Double)
    /// The end could not be written: keep it for the next run on this database and say so.
    case keepUnrecordedEnd(RunEnd, why: String)
    /// A line for the user.
    case say(String)
    /// Feed `.wake(timer)` after `after`.
    case wake(after: Duration, SupervisionTimer)
    /// The supervisor exits with this code.
    case done(exitCode: Int32)
}

/// What the supervisor tells a peer.
public enum PeerOrder: Hashable, Sendable {
    case begin
    case startElection
    case recover
    case stop
    case proceed
}

/// A fault as the history records it.
public enum RunFault: Hashable, Sendable, CaseIterable {
    case sick, crash, resign, recover, downAtStart
    /// Its host stopped answering, and answered again.
    case unreachable, reachable

    /// The fault a peer's reported sickness is recorded as.
    public init(_ mode: SickMode) {
        switch mode {
        case .silent: self = .sick
        case .crash: self = .crash
        case .resign: self = .resign
        }
    }
}

/// How a run ended.
public enum RunEnd: Hashable, Sendable {
    case completed, failed, interrupted
}
