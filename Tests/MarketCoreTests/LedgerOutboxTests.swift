import MarketTestKit
import XCTest
@testable import MarketCore

final class LedgerOutboxTests: XCTestCase {
    private let sale = Trade(tradeID: 3, seller: 1, trader: 4, epoch: 2, product: .boar, quantity: 2,
                             priceCents: 200, commissionCents: 20)

    func testATradeSplitsThePrice() {
        XCTAssertEqual(sale.sellerCents, 180)
        XCTAssertEqual(BuyOutcome.bought(sale).trade, sale)
        XCTAssertNil(BuyOutcome.failed(.noSeller).trade)
        XCTAssertEqual(FailureReason.noSeller.rawValue, "no seller")
    }

    func testLedgerEntries() {
        var ledger = Ledger()
        ledger.record(buying: sale)
        XCTAssertEqual(ledger, Ledger(bought: 2, sold: 0, cashCents: -200))
        ledger.record(selling: sale)
        XCTAssertEqual(ledger, Ledger(bought: 2, sold: 2, cashCents: -20))
        ledger.record(commissionOf: sale)
        XCTAssertEqual(ledger, Ledger(bought: 2, sold: 2, cashCents: 0))
    }

    func testTheBooksOfARun() {
        let other = Trade(tradeID: 5, seller: 2, trader: 3, epoch: 3, product: .salt, quantity: 1,
                          priceCents: 105, commissionCents: 10)
        let decisions = [
            Decision(request: request(0, 0, 4, .boar, quantity: 2), outcome: .bought(sale), seq: 3, epoch: 2),
            Decision(request: request(0, 1, 9, .fish), outcome: .failed(.noSeller), seq: 4, epoch: 2),
            Decision(request: request(1, 0, 12), outcome: .bought(other), seq: 5, epoch: 3),
        ]
        XCTAssertEqual(Ledger.books(of: decisions), [
            0: Ledger(bought: 2, sold: 0, cashCents: -200),
            1: Ledger(bought: 1, sold: 2, cashCents: 180 - 105),
            2: Ledger(bought: 0, sold: 1, cashCents: 95),
            3: Ledger(bought: 0, sold: 0, cashCents: 10),
            4: Ledger(bought: 0, sold: 0, cashCents: 20),
        ])
        let money = Ledger.books(of: decisions).values.reduce(0) { $0 + $1.cashCents }
        XCTAssertEqual(money, 0, "money only changes hands")
        XCTAssertEqual(Ledger.books(of: [Decision]()), [:])
    }

    func testTheOutboxOfADecision() {
        let id = RequestID(buyer: 0, seq: 0)
        let bought = Decision(request: request(0, 0, 4, .boar, quantity: 2), outcome: .bought(sale), seq: 3, epoch: 2)
        XCTAssertEqual(OutboxItem.items(for: bought), [
            OutboxItem(requestID: id, recipient: 0, message: .buyResult(id, .bought(sale))),
            OutboxItem(requestID: id, recipient: 1, message: .payout(id, sale)),
        ])
        let failed = Decision(request: request(0, 0, 4), outcome: .failed(.noSeller), seq: 3, epoch: 2)
        XCTAssertEqual(OutboxItem.items(for: failed), [
            OutboxItem(requestID: id, recipient: 0, message: .buyResult(id, .failed(.noSeller))),
        ])
        XCTAssertEqual(OutboxItem.items(for: bought).map(\.key), [
            DeliveryKey(requestID: id, recipient: 0), DeliveryKey(requestID: id, recipient: 1),
        ])
    }

    func testDeliveryKeysSortByRequestThenRecipient() {
        let a = DeliveryKey(requestID: RequestID(buyer: 0, seq: 2), recipient: 5)
        let b = DeliveryKey(requestID: RequestID(buyer: 0, seq: 10), recipient: 1)
        let c = DeliveryKey(requestID: RequestID(buyer: 0, seq: 10), recipient: 3)
        XCTAssertEqual([c, b, a].sorted(), [a, b, c])
    }

    func testSeededStreamsAreReproducibleAndIndependent() {
        var a = SplitMix64.derive(42, 1), b = SplitMix64.derive(42, 1), c = SplitMix64.derive(42, 2)
        let first = (0..<8).map { _ in a.next() }
        XCTAssertEqual(first, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(first, (0..<8).map { _ in c.next() })
        var d = SplitMix64(seed: 0)
        XCTAssertEqual(d.next(), 0xE220_A839_7B1D_CDAF, "SplitMix64's published first value for seed 0")
        XCTAssertFalse(d.chance(0))
        XCTAssertTrue(d.chance(1))
        var hits = 0
        for _ in 0..<10_000 where d.chance(0.25) { hits += 1 }
        XCTAssertTrue((2_200...2_800).contains(hits), "\(hits)")
    }
}
