import MarketCore

/// A row of `requests`. Every reader of buy requests (the checker, `inspect`, the report's
/// chronicle, `bench`) reads this one record; it names no SQL engine, so any store can fill it.
/// Times are the history's text (`Timestamp`), whose order is time order.
public struct RequestRecord: Hashable, Codable, Sendable {
    public var requestID: String
    public var buyer: PeerID
    public var product: Product
    public var quantity: Int
    public var lamport: Int64
    public var status: RequestStatus
    public var reason: String?
    public var epochReceived: Epoch?
    public var epochDecided: Epoch?
    public var decidedSeq: Int?
    public var receivedAt: String
    public var decidedAt: String?

    public init(requestID: String, buyer: PeerID, product: Product, quantity: Int = 1, lamport: Int64, status: RequestStatus,
                reason: String? = nil, epochReceived: Epoch? = nil, epochDecided: Epoch? = nil, decidedSeq: Int? = nil,
                receivedAt: String, decidedAt: String? = nil) {
        self.requestID = requestID
        self.buyer = buyer
        self.product = product
        self.quantity = quantity
        self.lamport = lamport
        self.status = status
        self.reason = reason
        self.epochReceived = epochReceived
        self.epochDecided = epochDecided
        self.decidedSeq = decidedSeq
        self.receivedAt = receivedAt
        self.decidedAt = decidedAt
    }

    /// The request as the core knows it; nil when the stored id is malformed.
    public var request: BuyRequest? {
        RequestID(requestID).map { BuyRequest(id: $0, product: product, quantity: quantity, lamport: UInt64(max(0, lamport))) }
    }

    /// Queued under one trader, decided by a later one.
    public var isTakeover: Bool {
        guard let received = epochReceived, let decided = epochDecided else { return false }
        return decided > received
    }

    /// Where the order invariants place it, once decided.
    public var stamp: DecisionStamp? {
        guard let epochDecided, let decidedSeq, let id = RequestID(requestID) else { return nil }
        return DecisionStamp(request: id, key: OrderKey(lamport: UInt64(clamping: lamport), buyer: buyer),
                             epoch: epochDecided, seq: decidedSeq)
    }
}
