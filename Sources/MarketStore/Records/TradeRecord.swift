import MarketCore

/// A row of `trades`: the core's `Trade`, with the request and the buyer it was for.
public struct TradeRecord: Hashable, Codable, Sendable {
    public var tradeID: Int
    public var requestID: String
    public var buyer: PeerID
    public var seller: PeerID
    public var trader: PeerID
    public var epoch: Epoch
    public var product: Product
    public var quantity: Int
    public var priceCents: Int
    public var commissionCents: Int
    public var lamport: Int64?
    public var at: String?

    public var trade: Trade {
        Trade(tradeID: tradeID, seller: seller, trader: trader, epoch: epoch, product: product,
              quantity: quantity, priceCents: priceCents, commissionCents: commissionCents)
    }
}

extension TradeRecord: CustomStringConvertible {
    /// The trade as the lab printed it: `P0 bought salt from P1 via P6, epoch 3`.
    public var description: String {
        "P\(buyer) bought \(quantity == 1 ? "" : "\(quantity) ")\(product.rawValue) from P\(seller) via P\(trader), epoch \(epoch)"
    }
}
