import MarketCore

/// A row of `outbox`: a message a decision owes `recipient`, re-sent by the next trader until
/// it is marked delivered.
public struct OutboxRecord: Hashable, Codable, Sendable {
    public var requestID: String
    public var recipient: PeerID
    /// `buy_result` or `payout`, as `Message.kind` names them.
    public var kind: String
}
