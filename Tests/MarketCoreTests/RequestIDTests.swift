import MarketTestKit
import XCTest
@testable import MarketCore

final class RequestIDTests: XCTestCase {
    func testTextForm() {
        XCTAssertEqual(RequestID(buyer: 0, seq: 17).description, "P0-17")
        XCTAssertEqual("\(RequestID(buyer: 12, seq: 0))", "P12-0")
    }

    func testParsesTheTextForm() {
        XCTAssertEqual(RequestID("P0-17"), RequestID(buyer: 0, seq: 17))
        XCTAssertEqual(RequestID("P63-1000000"), RequestID(buyer: 63, seq: 1_000_000))
    }

    func testRoundTrips() {
        for buyer in [0, 1, 9, 10, 63, 1_000] {
            for seq in [0, 1, 9, 10, 999, 123_456_789] {
                let id = RequestID(buyer: buyer, seq: seq)
                XCTAssertEqual(RequestID(id.description), id)
                XCTAssertEqual(RequestID(id.description)?.description, id.description)
            }
        }
    }

    func testRejectsGarbage() {
        let garbage = [
            "", "P", "P-", "P0", "P0-", "P-17", "0-17", "p0-17", "Q0-17", "PP0-17", " P0-17", "P0-17 ",
            "P0 -17", "P0- 17", "P0-17-1", "P0--17", "P-1-17", "P0-x", "Px-0", "P0_17", "P0.5-1", "P0-1e3",
            "P99999999999999999999-1", "P1-99999999999999999999",
            // Not the text form either: only what `description` writes is accepted, so one
            // request has one text in the `requests` table.
            "P+1-2", "P1-+2", "P01-2", "P1-007", "P-0-1",
        ]
        for text in garbage {
            XCTAssertNil(RequestID(text), "'\(text)' is not a request id")
        }
    }

    func testOrdersByBuyerThenNumericSequence() {
        XCTAssertLessThan(RequestID(buyer: 0, seq: 17), RequestID(buyer: 1, seq: 0))
        XCTAssertLessThan(RequestID(buyer: 0, seq: 2), RequestID(buyer: 0, seq: 10), "numeric, not textual")
        XCTAssertFalse(RequestID(buyer: 1, seq: 1) < RequestID(buyer: 1, seq: 1))
    }

    func testOrderKeyIsTimestampThenBuyer() {
        XCTAssertLessThan(OrderKey(lamport: 4, buyer: 9), OrderKey(lamport: 5, buyer: 0))
        XCTAssertLessThan(OrderKey(lamport: 5, buyer: 0), OrderKey(lamport: 5, buyer: 3), "ties broken by buyer id")
        XCTAssertEqual(request(3, 8, 42).orderKey, OrderKey(lamport: 42, buyer: 3))
        XCTAssertEqual(request(3, 8, 42).buyer, 3)
        XCTAssertEqual(OrderKey(lamport: 42, buyer: 3).description, "(42, P3)")
    }

    func testDepositIDsAreUniquePerSellerAndSequence() {
        XCTAssertEqual(Deposit.makeID(seller: 0, seq: 0), 0)
        XCTAssertEqual(Deposit.makeID(seller: 2, seq: 5), 2_000_005)
        var ids: Set<Int> = []
        for seller in 0..<8 {
            for seq in 0..<50 {
                XCTAssertTrue(ids.insert(Deposit.makeID(seller: seller, seq: seq)).inserted)
            }
        }
    }

    func testMessageKinds() {
        let trade = Trade(tradeID: 1, seller: 1, trader: 3, epoch: 1, product: .salt, quantity: 1,
                          priceCents: 100, commissionCents: 10)
        let id = RequestID(buyer: 0, seq: 0)
        let kinds: [Message: String] = [
            .election: "election", .ok: "ok", .coordinator(epoch: 1): "coordinator", .resign(epoch: 1): "resign",
            .heartbeat(epoch: 1, leader: nil): "heartbeat", .buy(request(0, 0, 1)): "buy", .ack(id): "ack",
            .queued(id): "queued", .buyResult(id, .failed(.noSeller)): "buy_result",
            .deposit(deposit(1, 0, .salt, 1)): "deposit", .depositAccepted(depositID: 1): "deposit_accepted",
            .payout(id, trade): "payout", .delivered([id]): "delivered", .doneBuying: "done_buying",
        ]
        for (message, kind) in kinds {
            XCTAssertEqual(message.kind, kind)
        }
    }
}
