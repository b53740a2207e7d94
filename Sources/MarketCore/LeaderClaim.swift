/// "P is the trader of epoch E", as a frame says it. A peer believes such a word only as far
/// as the store's leader record backs it: every epoch is claimed in the store before anyone
/// announces it, so a claim the store has never seen is a mistake or a forgery, and one
/// believed would pull the peer (and, through its heartbeats, others) after a phantom trader.
public struct LeaderClaim: Hashable, Sendable {
    public var epoch: Epoch
    public var leader: PeerID

    public init(epoch: Epoch, leader: PeerID) {
        self.epoch = epoch
        self.leader = leader
    }

    /// The store has granted this epoch: to this leader if it is the latest one, to somebody
    /// if it is older (an old claim changes nothing the core would act on).
    public func isBacked(storeEpoch: Epoch, storeLeader: PeerID?) -> Bool {
        storeEpoch > epoch || (storeEpoch == epoch && storeLeader == leader)
    }
}

extension Envelope {
    /// The claim this envelope makes that would change what a peer believes of the trader
    /// (it knows `knownEpoch` and follows `leader`), if it makes one: a COORDINATOR, or a
    /// heartbeat naming the trader of a newer epoch (or of this one, to a peer that has none).
    public func leaderClaim(beyond knownEpoch: Epoch, leader: PeerID?) -> LeaderClaim? {
        switch message {
        case .coordinator(let epoch) where epoch > knownEpoch || (epoch == knownEpoch && leader != from):
            LeaderClaim(epoch: epoch, leader: from)
        case .heartbeat(let epoch, let theirLeader?) where epoch > knownEpoch || (epoch == knownEpoch && leader == nil):
            LeaderClaim(epoch: epoch, leader: theirLeader)
        default:
            nil
        }
    }
}
