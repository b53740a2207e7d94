import MarketCore

/// A row of `trades`: the core's `Trade`, with the request and the buyer it was for.
struct TradeRow: HistoryRecord {
    var tradeID: Int
    var requestID: String
    var buyer: PeerID
    var seller: PeerID
    var trader: PeerID
    var epoch: Epoch
    var product: Product
    var quantity: Int
    var priceCents: Int
    var commissionCents: Int

    var trade: Trade {
        Trade(tradeID: tradeID, seller: seller, trader: trader, epoch: epoch, product: product,
              quantity: quantity, priceCents: priceCents, commissionCents: commissionCents)
    }
}
