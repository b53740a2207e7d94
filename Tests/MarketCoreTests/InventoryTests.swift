import MarketTestKit
import XCTest
@testable import MarketCore

final class InventoryTests: XCTestCase {
    private func inventory(_ deposits: Deposit...) -> Inventory {
        var inventory = Inventory()
        for deposit in deposits { inventory.add(deposit) }
        return inventory
    }

    func testTheOldestDepositSellsFirst() {
        var stock = inventory(deposit(5, 0, .salt, 2), deposit(1, 0, .salt, 2))
        XCTAssertEqual(stock.take(.salt, quantity: 1), 5)
        XCTAssertEqual(stock.take(.salt, quantity: 1), 5)
        XCTAssertEqual(stock.take(.salt, quantity: 1), 1, "P5's lot is gone; P1's is next")
        XCTAssertEqual(stock.stock(of: .salt, seller: 5), 0)
        XCTAssertEqual(stock.stock(of: .salt, seller: 1), 1)
    }

    func testOtherProductsDoNotGetInTheWay() {
        var stock = inventory(deposit(2, 0, .boar, 5), deposit(4, 0, .fish, 5), deposit(1, 0, .salt, 5))
        XCTAssertEqual(stock.take(.salt, quantity: 1), 1)
        XCTAssertEqual(stock.take(.fish, quantity: 1), 4)
        XCTAssertEqual(stock.stock(of: .boar, seller: 2), 5)
    }

    func testASellerWithTooLittleIsPassedOver() {
        var stock = inventory(deposit(1, 0, .salt, 1), deposit(5, 0, .salt, 3))
        XCTAssertEqual(stock.take(.salt, quantity: 2), 5)
        XCTAssertEqual(stock.stock(of: .salt, seller: 1), 1, "untouched")
        XCTAssertEqual(stock.stock(of: .salt, seller: 5), 1)
    }

    func testOneSellersLotsAddUpAndTheOldestEmptiesFirst() {
        var stock = inventory(deposit(1, 0, .salt, 1), deposit(5, 0, .salt, 5), deposit(1, 1, .salt, 2))
        XCTAssertEqual(stock.take(.salt, quantity: 2), 1, "P1 holds 1 + 2 and its lot is oldest")
        XCTAssertEqual(stock.lots.map(\.depositID), [Deposit.makeID(seller: 5, seq: 0), Deposit.makeID(seller: 1, seq: 1)])
        XCTAssertEqual(stock.lots.map(\.remaining), [5, 1])
    }

    func testEmptyLotsAreDropped() {
        var stock = inventory(deposit(1, 0, .salt, 1))
        XCTAssertEqual(stock.take(.salt, quantity: 1), 1)
        XCTAssertEqual(stock.lots, [])
    }

    func testNoSeller() {
        var stock = inventory(deposit(1, 0, .salt, 1))
        XCTAssertNil(stock.take(.fish, quantity: 1), "nobody sells fish")
        XCTAssertNil(stock.take(.salt, quantity: 2), "nobody holds 2 salt")
        XCTAssertNil(stock.take(.salt, quantity: 0), "nothing to take")
        var empty = Inventory()
        XCTAssertNil(empty.take(.salt, quantity: 1))
        XCTAssertEqual(stock.stock(of: .salt, seller: 1), 1, "a failed take takes nothing")
    }

    func testTheOldestLotSellsWhoeverItsSellerIs() {
        // The inventory knows no trader: a seller elected trader keeps its place in the line.
        var stock = inventory(deposit(3, 0, .salt, 10), deposit(1, 0, .salt, 1))
        XCTAssertEqual(stock.take(.salt, quantity: 1), 3)
        XCTAssertEqual(stock.stock(of: .salt, seller: 3), 9)
        XCTAssertEqual(stock.stock(of: .salt, seller: 1), 1)
    }

    func testAZeroDepositAddsNoLot() {
        XCTAssertEqual(inventory(deposit(1, 0, .salt, 0)).lots, [])
    }

    func testRebuiltFromTheStoreTakesSalesFromEachSellersOldestLots() {
        let deposits = [
            deposit(1, 0, .salt, 3), deposit(2, 0, .salt, 4), deposit(1, 1, .salt, 2),
            deposit(1, 2, .fish, 5),
        ]
        let sold: [SellerProduct: Int] = [
            SellerProduct(seller: 1, product: .salt): 4, SellerProduct(seller: 1, product: .fish): 5,
        ]
        let stock = Inventory(deposits: deposits, sold: sold)
        XCTAssertEqual(stock.lots, [
            .init(depositID: Deposit.makeID(seller: 2, seq: 0), seller: 2, product: .salt, remaining: 4),
            .init(depositID: Deposit.makeID(seller: 1, seq: 1), seller: 1, product: .salt, remaining: 1),
        ])
        XCTAssertEqual(stock.stock(of: .salt, seller: 1), 1)
        XCTAssertEqual(stock.stock(of: .fish, seller: 1), 0)
    }

    func testRebuiltInventorySellsInDepositOrder() {
        var stock = Inventory(
            deposits: [deposit(2, 0, .salt, 1), deposit(1, 0, .salt, 1)],
            sold: [:])
        XCTAssertEqual(stock.take(.salt, quantity: 1), 2)
        XCTAssertEqual(stock.take(.salt, quantity: 1), 1)
    }
}
