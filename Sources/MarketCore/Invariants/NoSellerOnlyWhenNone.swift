/// A buy fails `no seller` only when no seller holds enough of its product: the trader's own
/// goods, deposited before it traded, count like any other's.
public enum NoSellerOnlyWhenNone {
    /// `stock` is what each seller held when `request` was decided.
    public static func check(_ request: BuyRequest, stock: [SellerProduct: Int]) -> [Violation] {
        let holders = stock.filter { $0.key.product == request.product && $0.value >= request.quantity }.keys.sorted()
        guard let holder = holders.first else { return [] }
        return [Violation(.noSellerOnlyWhenNone,
                          "\(request.id) failed `no seller` while P\(holder.seller) held \(stock[holder] ?? 0) \(request.product.rawValue)")]
    }

    /// A `no seller` decided while `seller`'s first deposit was on its way to the trader.
    public static func inFlight(_ request: RequestID, seller: PeerID, trader: PeerID) -> Violation {
        Violation(.noSellerOnlyWhenNone, "\(request) failed `no seller` while the first deposit of live seller P\(seller) was on its way to trader P\(trader)")
    }
}
