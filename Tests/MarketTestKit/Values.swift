import MarketCore

/// Buyer `buyer`'s request number `seq`, stamped `lamport`.
public func request(_ buyer: PeerID, _ seq: Int, _ lamport: UInt64, _ product: Product = .salt, quantity: Int = 1) -> BuyRequest {
    BuyRequest(id: RequestID(buyer: buyer, seq: seq), product: product, quantity: quantity, lamport: lamport)
}

/// Seller `seller`'s deposit number `seq`.
public func deposit(_ seller: PeerID, _ seq: Int, _ product: Product, _ quantity: Int) -> Deposit {
    Deposit(id: Deposit.makeID(seller: seller, seq: seq), seller: seller, product: product, quantity: quantity)
}
