// Short, readable forms for traces and logs.

extension BuyRequest: CustomStringConvertible {
    public var description: String { "\(id) \(quantity)×\(product.rawValue) @\(lamport)" }
}

extension Trade: CustomStringConvertible {
    public var description: String {
        "trade \(tradeID): \(quantity)×\(product.rawValue) of P\(seller) for \(priceCents)¢ via P\(trader) (epoch \(epoch))"
    }
}

extension BuyOutcome: CustomStringConvertible {
    public var description: String {
        switch self {
        case .bought(let trade): "bought, \(trade)"
        case .failed(let reason): "failed: \(reason.rawValue)"
        }
    }
}

extension Deposit: CustomStringConvertible {
    public var description: String { "deposit \(id): \(quantity)×\(product.rawValue) of P\(seller)" }
}

extension Ledger: CustomStringConvertible {
    public var description: String { "bought \(bought), sold \(sold), cash \(cashCents)¢" }
}
