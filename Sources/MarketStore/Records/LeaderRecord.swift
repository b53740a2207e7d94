import MarketCore

/// The row of `leader` for a run.
public struct LeaderRecord: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var leader: PeerID?
    public var electionInProgress: Bool
    public var updatedAt: String?
    /// The election in progress, as its first note recorded it; nil when none is.
    public var electionStartedAt: String? = nil
    public var electionInitiator: PeerID? = nil
    public var electionReason: String? = nil
    /// Until when the trader of `epoch` holds its lease, by the store's clock (migration 0010).
    public var leaseExpiresAt: String? = nil
}
