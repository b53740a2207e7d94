/// Goods a seller hands to the trader; `id` makes a re-sent deposit count once.
public struct Deposit: Hashable, Codable, Sendable {
    public var id: Int
    public var seller: PeerID
    public var product: Product
    public var quantity: Int

    public init(id: Int, seller: PeerID, product: Product, quantity: Int) {
        self.id = id
        self.seller = seller
        self.product = product
        self.quantity = quantity
    }

    /// Deposit ids are unique in a run without coordination: the seller's id, then its own count.
    public static func makeID(seller: PeerID, seq: Int) -> Int { seller * 1_000_000 + seq }
}
