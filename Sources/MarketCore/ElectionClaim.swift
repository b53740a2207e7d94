/// Why an election was started; recorded in `elections.reason`.
public enum ElectionReason: String, Codable, Sendable, Hashable, CaseIterable {
    /// The scenario's first election.
    case startup
    /// No trader known after start, or the trader's heartbeats stopped.
    case heartbeatTimeout = "heartbeat timeout"
    /// A buyer's request went unanswered and the trader had gone quiet.
    case requestTimeout = "request timeout"
    /// The trader announced it steps down.
    case resign
    /// A peer came back (from sickness or a crash), as in the classic Bully algorithm.
    case recovery
    /// A lower peer's election reached this one, which takes it over.
    case bully
    /// An OK came but no COORDINATOR followed.
    case coordinatorTimeout = "coordinator timeout"
    /// A lower peer announced itself while this one was up: Bully wants the highest.
    case lowerTrader = "lower trader"
    /// The transport saw the trader go away (its connection closed, a dial was refused).
    case traderGone = "trader gone"
}

/// What the Bully winner asks the store: "make me the leader of `epoch`".
public struct ElectionClaim: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var leader: PeerID
    public var initiator: PeerID
    public var reason: ElectionReason

    public init(epoch: Epoch, leader: PeerID, initiator: PeerID, reason: ElectionReason) {
        self.epoch = epoch
        self.leader = leader
        self.initiator = initiator
        self.reason = reason
    }
}
