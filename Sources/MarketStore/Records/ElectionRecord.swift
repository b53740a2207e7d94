import MarketCore

/// A row of `elections`.
public struct ElectionRecord: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var initiator: PeerID?
    public var winner: PeerID
    public var reason: String?
    public var startedAt: String?
    public var finishedAt: String?

    public init(epoch: Epoch, initiator: PeerID?, winner: PeerID, reason: String?, startedAt: String?, finishedAt: String?) {
        self.epoch = epoch
        self.initiator = initiator
        self.winner = winner
        self.reason = reason
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
