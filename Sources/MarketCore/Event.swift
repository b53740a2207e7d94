/// What happens to a peer. The shell feeds these to `Peer.step`, with the time they happened.
public enum Event: Hashable, Sendable {
    /// The process started for the first time.
    case start
    /// The process started again after a crash: memory gone, the store intact.
    case restart
    case receive(Envelope)
    case timer(PeerTimer)
    case command(Command)
    /// The store's answer to an earlier `Effect.persist`, in the order they were asked.
    case persisted(StoreResult)
    /// The shell has fed every event it had at hand (a batch of deliveries at one instant, one
    /// pass of the runtime's loop): what this peer owes for the whole turn goes out now, once
    /// (one acknowledgement covers every buy it saw in the turn).
    case endOfTurn
    /// The transport saw this peer go away: its connection closed, or a dial to it was
    /// refused. Silence is found by timeout; this is how a crash is found at once.
    case peerGone(PeerID)
}

/// Orders from the scenario (or the supervisor), not from other peers.
public enum Command: Hashable, Codable, Sendable {
    case startElection
    /// Fall sick now in the given way (a sick schedule; the sick rate works inside the core).
    case fallSick(SickMode)
    /// Come back after sickness.
    case recover
}

public enum PeerTimer: Hashable, Codable, Sendable {
    case heartbeat
    case election
    case coordinator
    case request
    case deposit
}

/// What a step asks the shell to do, in order.
public enum Effect: Hashable, Sendable {
    case send(Envelope)
    /// Arms the timer, replacing one of the same kind.
    case setTimer(PeerTimer, after: Duration)
    case cancelTimer(PeerTimer)
    /// Perform in the store, in order; feed the result back as `Event.persisted`.
    case persist(StoreRequest)
    /// The peer fell sick in this way; the shell records it and, for a crash, kills it.
    case fellSick(SickMode)
    /// Something worth a line in the peer's log.
    case log(String)
}
