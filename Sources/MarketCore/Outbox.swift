/// A message that must reach its recipient even if the trader dies right after the commit:
/// written in the decision's transaction, re-sent by the next trader until confirmed.
public struct OutboxItem: Hashable, Codable, Sendable {
    public var requestID: RequestID
    public var recipient: PeerID
    public var message: Message

    public init(requestID: RequestID, recipient: PeerID, message: Message) {
        self.requestID = requestID
        self.recipient = recipient
        self.message = message
    }

    public var key: DeliveryKey { DeliveryKey(requestID: requestID, recipient: recipient) }

    /// The result to the buyer and, for a trade, the payout to the seller.
    public static func items(for decision: Decision) -> [OutboxItem] {
        var items = [OutboxItem(
            requestID: decision.request.id, recipient: decision.request.buyer,
            message: .buyResult(decision.request.id, decision.outcome))]
        if let trade = decision.outcome.trade {
            items.append(OutboxItem(requestID: decision.request.id, recipient: trade.seller, message: .payout(decision.request.id, trade)))
        }
        return items
    }
}

public struct DeliveryKey: Hashable, Comparable, Codable, Sendable {
    public var requestID: RequestID
    public var recipient: PeerID

    public init(requestID: RequestID, recipient: PeerID) {
        self.requestID = requestID
        self.recipient = recipient
    }

    public static func < (lhs: DeliveryKey, rhs: DeliveryKey) -> Bool {
        (lhs.requestID, lhs.recipient) < (rhs.requestID, rhs.recipient)
    }
}
