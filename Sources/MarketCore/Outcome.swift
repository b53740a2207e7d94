/// Why a buy failed.
public enum FailureReason: String, Codable, Sendable, Hashable {
    case noSeller = "no seller"
}

/// A committed trade: goods of `seller` to the request's buyer, through `trader` in `epoch`.
public struct Trade: Hashable, Codable, Sendable {
    public var tradeID: Int
    public var seller: PeerID
    public var trader: PeerID
    public var epoch: Epoch
    public var product: Product
    public var quantity: Int
    /// What the buyer pays, in cents.
    public var priceCents: Int
    /// The trader's share of `priceCents`; the seller is paid the rest.
    public var commissionCents: Int

    public init(
        tradeID: Int, seller: PeerID, trader: PeerID, epoch: Epoch, product: Product,
        quantity: Int, priceCents: Int, commissionCents: Int
    ) {
        self.tradeID = tradeID
        self.seller = seller
        self.trader = trader
        self.epoch = epoch
        self.product = product
        self.quantity = quantity
        self.priceCents = priceCents
        self.commissionCents = commissionCents
    }

    public var sellerCents: Int { priceCents - commissionCents }
}

/// How a buy request ended.
public enum BuyOutcome: Hashable, Codable, Sendable {
    case bought(Trade)
    case failed(FailureReason)

    public var trade: Trade? {
        if case .bought(let trade) = self { return trade }
        return nil
    }
}

/// One decision of the trader, in the order it was made.
public struct Decision: Hashable, Codable, Sendable {
    public var request: BuyRequest
    public var outcome: BuyOutcome
    /// Run-wide decision order; also the trade id of a bought request.
    public var seq: Int
    public var epoch: Epoch

    public init(request: BuyRequest, outcome: BuyOutcome, seq: Int, epoch: Epoch) {
        self.request = request
        self.outcome = outcome
        self.seq = seq
        self.epoch = epoch
    }
}
