import MarketCore

/// A row of `deposits`: the core's `Deposit`, with the epoch that accepted it and when.
public struct DepositRecord: Hashable, Codable, Sendable {
    public var depositID: Int
    public var seller: PeerID
    public var product: Product
    public var quantity: Int
    public var epoch: Epoch?
    public var at: String?

    public var deposit: Deposit {
        Deposit(id: depositID, seller: seller, product: product, quantity: quantity)
    }
}
