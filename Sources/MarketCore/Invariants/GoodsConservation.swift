/// What the books say of one seller's product.
public struct GoodsCount: Hashable, Sendable {
    /// What the deposits add up to.
    public var deposited: Int
    /// What the trades add up to.
    public var sold: Int
    /// What the inventory holds; nil when it keeps no record of these goods.
    public var stock: Int?
    /// What the inventory says was deposited, where it keeps that apart from the deposits.
    public var recordedDeposited: Int?

    public init(deposited: Int, sold: Int, stock: Int?, recordedDeposited: Int? = nil) {
        self.deposited = deposited
        self.sold = sold
        self.stock = stock
        self.recordedDeposited = recordedDeposited
    }
}

/// Goods are neither made nor lost: deposited − sold = stock ≥ 0, for every seller's product.
public enum GoodsConservation {
    public static func check(_ goods: SellerProduct, _ count: GoodsCount) -> [Violation] {
        var violations: [Violation] = []
        func fail(_ detail: String) { violations.append(Violation(.goodsConserved, "\(goods): \(detail)")) }
        if count.sold > count.deposited {
            fail("\(count.sold) sold but only \(count.deposited) deposited")
        }
        guard let stock = count.stock else {
            if count.deposited > 0 || count.sold > 0 { fail("deposits or trades but no inventory") }
            return violations
        }
        if let recorded = count.recordedDeposited, recorded != count.deposited {
            fail("inventory says \(recorded) deposited, deposits add up to \(count.deposited)")
        }
        let expected = count.deposited - count.sold
        if stock != expected {
            fail("stock \(stock) is not deposited \(count.deposited) − sold \(count.sold) = \(expected)")
        }
        if stock < 0 {
            fail("negative stock \(stock)")
        }
        return violations
    }
}
