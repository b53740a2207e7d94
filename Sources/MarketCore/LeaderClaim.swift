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

extension Peer {
    /// A frame whose claim would change what this peer believes of the trader waits for the
    /// store's word, unless the planted bug believes it at once.
    func needsBacking(_ envelope: Envelope) -> Bool {
        config.electionRule != .trustsClaims && envelope.leaderClaim(beyond: knownEpoch, leader: leader) != nil
    }

    mutating func hold(_ envelope: Envelope) {
        heldFrames.append(envelope)
        guard !awaitingLeaderRecord else { return }
        awaitingLeaderRecord = true
        persist(.readLeader)
    }

    /// The leader record came: the first held frame is judged by it (it was read after that
    /// frame arrived), and the ones behind it taken in until one makes a claim the record does
    /// not back: that one may be newer than the read, so it waits for another.
    mutating func judgeHeldFrames(storeEpoch: Epoch, storeLeader: PeerID?) {
        guard awaitingLeaderRecord else { return }
        awaitingLeaderRecord = false
        let frames = heldFrames
        heldFrames = []
        for (index, envelope) in frames.enumerated() {
            if awaitingLeaderRecord {
                heldFrames.append(envelope)
                continue
            }
            guard let claim = envelope.leaderClaim(beyond: knownEpoch, leader: leader),
                  !claim.isBacked(storeEpoch: storeEpoch, storeLeader: storeLeader) else {
                admit(envelope)
                continue
            }
            if index == 0 {
                dropUnbacked(envelope, claim: claim)
            } else {
                hold(envelope)
            }
        }
    }

    mutating func dropUnbacked(_ envelope: Envelope, claim: LeaderClaim) {
        unbackedClaims += 1
        // A flood of bad frames must not become a flood of log lines.
        if unbackedClaims <= 10 || unbackedClaims & (unbackedClaims - 1) == 0 {
            log("drops \(envelope.message.kind) from P\(envelope.from): the store has not granted P\(claim.leader) "
                + "epoch \(claim.epoch) (claim #\(unbackedClaims) unbacked)")
        }
    }
}
