import MarketCore
import MarketStore
import MarketTestKit
import XCTest

/// The contract's books: what `loadBooks` gives each role back after a restart.
extension StoreContract {
    func loadBooksAccountsForEveryRole() throws {
        let store = try trading(salt: 10)
        let fishDeposit = Deposit(id: Deposit.makeID(seller: Self.otherSeller, seq: 0), seller: Self.otherSeller,
                                  product: .fish, quantity: 4)
        _ = try store.recordDeposit(fishDeposit, epoch: 1)
        let a = request(0, 0, 1, quantity: 2)
        let b = request(0, 1, 4, .fish)
        let c = request(0, 2, 6, .boar)
        let d = request(0, 3, 9)
        for request in [a, b, c, d] { _ = try store.enqueue(request, epoch: 1) }
        let decisions = [
            Self.bought(a, seq: 1, epoch: 1), Self.bought(b, seq: 2, epoch: 1, seller: Self.otherSeller),
            Self.failed(c, seq: 3, epoch: 1),
        ]
        _ = try store.commitDecisions(DecisionBatch(epoch: 1, decisions: decisions))

        let buyer = try books(store, 0)
        XCTAssertEqual(buyer.ledger, Ledger(bought: 3, sold: 0, cashCents: -300))
        XCTAssertEqual(buyer.requests, [a, b, c, d])
        XCTAssertEqual(buyer.pendingRequest, d.id)
        XCTAssertEqual(buyer.sellerTradeIDs, [])

        let seller = try books(store, Self.seller)
        XCTAssertEqual(seller.ledger, Ledger(bought: 0, sold: 2, cashCents: 180))
        XCTAssertEqual(seller.sellerTradeIDs, [1])
        XCTAssertEqual(seller.soldByProduct, [.salt: 2])
        XCTAssertEqual(seller.deposits.map(\.quantity), [10])
        XCTAssertNil(seller.pendingRequest)

        let trader = try books(store, Self.trader)
        XCTAssertEqual(trader.ledger, Ledger(bought: 0, sold: 0, cashCents: 30))
        XCTAssertEqual(Ledger.books(of: decisions)[Self.trader], trader.ledger, "the core's own arithmetic")
        XCTAssertEqual(Ledger.books(of: decisions)[0], buyer.ledger)
        XCTAssertEqual(try books(store, Self.otherSeller).ledger, Ledger.books(of: decisions)[Self.otherSeller])
    }
}
