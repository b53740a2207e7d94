/// A peer's own account: items bought and sold, and net cash in cents
/// (paid out as seller and earned as trader, minus spent as buyer).
///
/// The one place where a trade turns into money: peers keep their ledgers with it, the
/// stores rebuild a peer's books with it, and the invariants compare the two with it.
public struct Ledger: Hashable, Codable, Sendable {
    public var bought: Int
    public var sold: Int
    public var cashCents: Int

    public init(bought: Int = 0, sold: Int = 0, cashCents: Int = 0) {
        self.bought = bought
        self.sold = sold
        self.cashCents = cashCents
    }

    /// The books of a whole run, per peer: what each ledger must equal at the end.
    public static func books(of decisions: some Sequence<Decision>) -> [PeerID: Ledger] {
        books(ofTrades: decisions.lazy.compactMap { decision in decision.outcome.trade.map { (decision.request.buyer, $0) } })
    }

    /// The books from trades alone, each with its buyer.
    public static func books(ofTrades trades: some Sequence<(buyer: PeerID, trade: Trade)>) -> [PeerID: Ledger] {
        var books: [PeerID: Ledger] = [:]
        for (buyer, trade) in trades {
            for peer in Set([buyer, trade.seller, trade.trader]) {
                books[peer, default: Ledger()].record(trade, buyer: buyer, as: peer)
            }
        }
        return books
    }

    /// Books the trade for `peer` in whichever of its parts (buyer, seller, trader) it took.
    public mutating func record(_ trade: Trade, buyer: PeerID, as peer: PeerID) {
        if buyer == peer { record(buying: trade) }
        if trade.seller == peer { record(selling: trade) }
        if trade.trader == peer { record(commissionOf: trade) }
    }

    public mutating func record(buying trade: Trade) {
        bought += trade.quantity
        cashCents -= trade.priceCents
    }

    public mutating func record(selling trade: Trade) {
        sold += trade.quantity
        cashCents += trade.sellerCents
    }

    public mutating func record(commissionOf trade: Trade) {
        cashCents += trade.commissionCents
    }
}
