/// What a buyer multicasts: stamped with its Lamport clock, identified for retries.
public struct BuyRequest: Hashable, Codable, Sendable {
    public var id: RequestID
    public var product: Product
    public var quantity: Int
    public var lamport: UInt64

    public init(id: RequestID, product: Product, quantity: Int, lamport: UInt64) {
        self.id = id
        self.product = product
        self.quantity = quantity
        self.lamport = lamport
    }

    public var buyer: PeerID { id.buyer }

    /// Lamport's total order: timestamp first, the buyer's id breaks ties.
    public var orderKey: OrderKey { OrderKey(lamport: lamport, buyer: id.buyer) }
}

/// The total order on requests: `(lamport_ts, buyer_id)`.
public struct OrderKey: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var lamport: UInt64
    public var buyer: PeerID

    public init(lamport: UInt64, buyer: PeerID) {
        self.lamport = lamport
        self.buyer = buyer
    }

    public static func < (lhs: OrderKey, rhs: OrderKey) -> Bool {
        (lhs.lamport, lhs.buyer) < (rhs.lamport, rhs.buyer)
    }

    public var description: String { "(\(lamport), P\(buyer))" }
}
