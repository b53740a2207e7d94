/// The goods the trader holds, as lots in the order their deposits were accepted, so the
/// oldest deposit sells first.
public struct Inventory: Hashable, Sendable {
    public struct Lot: Hashable, Sendable {
        public var depositID: Int
        public var seller: PeerID
        public var product: Product
        public var remaining: Int
    }

    public private(set) var lots: [Lot] = []

    public init() {}

    /// The inventory an earlier trader left: every deposit, less what was sold from each
    /// seller's oldest lots first.
    public init(deposits: [Deposit], sold: [SellerProduct: Int]) {
        var unsold = sold
        for deposit in deposits {
            let key = SellerProduct(seller: deposit.seller, product: deposit.product)
            let taken = min(unsold[key] ?? 0, deposit.quantity)
            unsold[key] = (unsold[key] ?? 0) - taken
            if deposit.quantity > taken {
                lots.append(Lot(depositID: deposit.id, seller: deposit.seller, product: deposit.product,
                                remaining: deposit.quantity - taken))
            }
        }
    }

    public mutating func add(_ deposit: Deposit) {
        guard deposit.quantity > 0 else { return }
        lots.append(Lot(depositID: deposit.id, seller: deposit.seller, product: deposit.product, remaining: deposit.quantity))
    }

    public func stock(of product: Product, seller: PeerID) -> Int {
        lots.lazy.filter { $0.product == product && $0.seller == seller }.reduce(0) { $0 + $1.remaining }
    }

    /// Takes `quantity` of `product` from the seller whose oldest unsold lot is oldest and
    /// who holds enough. The trader's own goods, deposited before it traded, sell like any
    /// other's: a seller elected trader does not take its goods off the market.
    public mutating func take(_ product: Product, quantity: Int) -> PeerID? {
        guard quantity > 0 else { return nil }
        let candidates = lots.filter { $0.product == product }
        guard let seller = candidates.first(where: { stock(of: product, seller: $0.seller) >= quantity })?.seller else {
            return nil
        }
        var needed = quantity
        for index in lots.indices where needed > 0 && lots[index].product == product && lots[index].seller == seller {
            let taken = min(needed, lots[index].remaining)
            lots[index].remaining -= taken
            needed -= taken
        }
        lots.removeAll { $0.remaining == 0 }
        return seller
    }

    /// Gives back goods a decision took that the store did not write (another trader had
    /// decided the request first). They came from the seller's oldest lot, the first that
    /// could sell them: they go back to that seller's oldest lot left, or, when none is left,
    /// in front of every lot of the product, where the emptied lot was (its id is gone with it).
    public mutating func putBack(_ product: Product, quantity: Int, seller: PeerID) {
        guard quantity > 0 else { return }
        if let index = lots.firstIndex(where: { $0.product == product && $0.seller == seller }) {
            lots[index].remaining += quantity
            return
        }
        let front = lots.firstIndex { $0.product == product } ?? lots.endIndex
        lots.insert(Lot(depositID: -1, seller: seller, product: product, remaining: quantity), at: front)
    }
}
