import MarketCore

/// The row of `leader` for a run.
public struct LeaderRecord: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var leader: PeerID?
    public var electionInProgress: Bool
    public var updatedAt: String?
}
