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

    /// Deposit ids are unique in a run without coordination: the seller's id, then its own
    /// count below a million. The only place that knows the layout; `seller(ofID:)` and
    /// `seq(ofID:)` read it back.
    public static func makeID(seller: PeerID, seq: Int) -> Int { seller * idsPerSeller + seq }
    public static func seller(ofID id: Int) -> PeerID { id / idsPerSeller }
    public static func seq(ofID id: Int) -> Int { id % idsPerSeller }
    static let idsPerSeller = 1_000_000
}
