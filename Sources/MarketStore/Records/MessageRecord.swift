import MarketCore

/// A row of `messages` (a `--trace` run's messages), as the checker and the report read it.
public struct MessageRecord: Hashable, Codable, Sendable {
    public var msgID: Int64
    public var kind: String
    public var fromID: PeerID
    public var toID: PeerID
    public var sendClock: Int64
    /// Nil while only the sending side is recorded.
    public var recvClock: Int64?
    public var sentAt: String?
    public var receivedAt: String?

    public init(msgID: Int64, kind: String, fromID: PeerID, toID: PeerID, sendClock: Int64, recvClock: Int64?,
                sentAt: String? = nil, receivedAt: String?) {
        self.msgID = msgID
        self.kind = kind
        self.fromID = fromID
        self.toID = toID
        self.sendClock = sendClock
        self.recvClock = recvClock
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}
