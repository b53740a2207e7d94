import MarketCore

/// A row of `peers`: the peer's part, and the ledger it wrote when it stopped.
public struct PeerRecord: Hashable, Codable, Sendable {
    public var peer: PeerID
    public var role: Role
    public var product: Product
    public var downAtStart: Bool
    public var pid: Int?
    public var bought: Int?
    public var sold: Int?
    public var cashCents: Int?
    public var finalClock: Int64?
    /// Where it ran (`peers.host`): this machine's name, or the SSH destination it was started at.
    public var host: String?

    public init(peer: PeerID, role: Role, product: Product, downAtStart: Bool = false, pid: Int? = nil, bought: Int? = nil,
                sold: Int? = nil, cashCents: Int? = nil, finalClock: Int64? = nil, host: String? = nil) {
        self.peer = peer
        self.role = role
        self.product = product
        self.downAtStart = downAtStart
        self.pid = pid
        self.bought = bought
        self.sold = sold
        self.cashCents = cashCents
        self.finalClock = finalClock
        self.host = host
    }

    /// The ledger the peer wrote when it stopped, if it did.
    public var ledger: Ledger? {
        guard let bought, let sold, let cashCents else { return nil }
        return Ledger(bought: bought, sold: sold, cashCents: cashCents)
    }
}
