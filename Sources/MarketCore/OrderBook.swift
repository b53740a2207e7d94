/// The trader's pending requests in Lamport order `(lamport_ts, buyer_id)`.
///
/// A request enters when it arrives (before it is durable, so that a later-stamped request
/// cannot overtake it while its enqueue is in flight) and leaves when it is decided. The
/// head is decided only when it is durable and stable: every other live peer has sent a
/// message that proves it can no longer send anything ordered before it (FIFO channels).
public struct OrderBook: Hashable, Sendable {
    /// How the head is judged decidable. `lamport` is the protocol; `immediate` decides a
    /// durable head without waiting — a planted bug the simulator's own tests must catch.
    public enum StabilityRule: Sendable, Hashable, Codable {
        case lamport
        case immediate
    }

    public struct Entry: Hashable, Sendable {
        public var request: BuyRequest
        public var durable: Bool
    }

    public let rule: StabilityRule
    /// Sorted by order key; short in practice (one outstanding request per buyer).
    public private(set) var entries: [Entry] = []

    public init(rule: StabilityRule = .lamport) {
        self.rule = rule
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var head: Entry? { entries.first }

    public func contains(_ id: RequestID) -> Bool {
        entries.contains { $0.request.id == id }
    }

    /// Adds a request by its key; false if its id is already here.
    @discardableResult
    public mutating func insert(_ request: BuyRequest, durable: Bool) -> Bool {
        guard !contains(request.id) else { return false }
        let entry = Entry(request: request, durable: durable)
        let index = entries.firstIndex { entry.request.orderKey < $0.request.orderKey } ?? entries.endIndex
        entries.insert(entry, at: index)
        return true
    }

    /// The enqueue of `request` committed; the store's copy (its stamp) is the one that counts.
    public mutating func markDurable(_ request: BuyRequest) {
        remove(request.id)
        insert(request, durable: true)
    }

    @discardableResult
    public mutating func remove(_ id: RequestID) -> BuyRequest? {
        guard let index = entries.firstIndex(where: { $0.request.id == id }) else { return nil }
        return entries.remove(at: index).request
    }

    /// Removes and returns, in order, every head that may be decided now.
    /// - Parameters:
    ///   - lastSeen: the highest stamp received from each peer.
    ///   - others: the live peers other than the trader.
    public mutating func popDecidable(lastSeen: [PeerID: UInt64], others: some Collection<PeerID>, limit: Int = .max) -> [BuyRequest] {
        var decided: [BuyRequest] = []
        while decided.count < limit, let head = entries.first, head.durable,
              rule == .immediate || Self.isStable(head.request.orderKey, lastSeen: lastSeen, others: others) {
            decided.append(entries.removeFirst().request)
        }
        return decided
    }

    /// Lamport's condition: nothing any other live peer sends from now on can be ordered
    /// before `key`. Any later message of peer `p` is stamped above `lastSeen[p]`, so its
    /// requests have keys of at least `(lastSeen[p] + 1, p)`.
    public static func isStable(_ key: OrderKey, lastSeen: [PeerID: UInt64], others: some Collection<PeerID>) -> Bool {
        others.allSatisfy { peer in
            OrderKey(lamport: (lastSeen[peer] ?? 0).successor, buyer: peer) > key
        }
    }
}
