import MarketCore
@testable import MarketStore
import XCTest

final class TradeRecordTests: XCTestCase {
    func test_text_isTheLabsLine_withTheQuantityOnlyWhenMoreThanOne() {
        var trade = TradeRecord(tradeID: 7, requestID: "P0-3", buyer: 0, seller: 1, trader: 6, epoch: 3, product: .salt,
                                quantity: 1, priceCents: 100, commissionCents: 10, lamport: 5, at: "2026-11-29T20:41:14.210123Z")
        XCTAssertEqual(trade.description, "P0 bought salt from P1 via P6, epoch 3")
        trade.quantity = 4
        trade.buyer = 12
        trade.product = .boar
        XCTAssertEqual("\(trade)", "P12 bought 4 boar from P1 via P6, epoch 3")
    }
}
