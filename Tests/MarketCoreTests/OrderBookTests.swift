import MarketTestKit
import XCTest
@testable import MarketCore

final class OrderBookTests: XCTestCase {
    private func keys(_ book: OrderBook) -> [RequestID] { book.entries.map(\.request.id) }
    private func ids(_ requests: [BuyRequest]) -> [RequestID] { requests.map(\.id) }
    private let p0 = RequestID(buyer: 0, seq: 0)
    private let p1 = RequestID(buyer: 1, seq: 0)
    private let p2 = RequestID(buyer: 2, seq: 0)

    // MARK: Order

    func testKeepsRequestsInTimestampOrder() {
        var book = OrderBook()
        book.insert(request(1, 0, 9), durable: true)
        book.insert(request(0, 0, 12), durable: true)
        book.insert(request(2, 0, 3), durable: true)
        XCTAssertEqual(keys(book), [p2, p1, p0])
        XCTAssertEqual(book.head?.request.id, p2)
        XCTAssertEqual(book.count, 3)
    }

    func testTiesAreBrokenByBuyerID() {
        var book = OrderBook()
        book.insert(request(2, 0, 7), durable: true)
        book.insert(request(0, 0, 7), durable: true)
        book.insert(request(1, 0, 7), durable: true)
        XCTAssertEqual(keys(book), [p0, p1, p2])
        let decided = book.popDecidable(lastSeen: [0: 20, 1: 20, 2: 20], others: [0, 1, 2])
        XCTAssertEqual(ids(decided), [p0, p1, p2])
    }

    func testAnIDEntersOnce() {
        var book = OrderBook()
        XCTAssertTrue(book.insert(request(0, 0, 5), durable: false))
        XCTAssertFalse(book.insert(request(0, 0, 9), durable: true), "a retry of a queued request")
        XCTAssertEqual(book.count, 1)
        XCTAssertEqual(book.head, OrderBook.Entry(request: request(0, 0, 5), durable: false))
        XCTAssertTrue(book.contains(p0))
        XCTAssertFalse(book.contains(p1))
    }

    func testRemove() {
        var book = OrderBook()
        book.insert(request(0, 0, 5), durable: true)
        book.insert(request(1, 0, 6), durable: true)
        XCTAssertEqual(book.remove(p0), request(0, 0, 5))
        XCTAssertNil(book.remove(p0))
        XCTAssertEqual(keys(book), [p1])
        book.remove(p1)
        XCTAssertTrue(book.isEmpty)
        XCTAssertNil(book.head)
    }

    func testMarkDurableTakesTheStoresStamp() {
        var book = OrderBook()
        book.insert(request(1, 0, 10), durable: true)
        book.insert(request(0, 0, 20), durable: false)  // a retry with a fresh stamp
        book.markDurable(request(0, 0, 4))  // the store has the original stamp
        XCTAssertEqual(book.entries, [
            .init(request: request(0, 0, 4), durable: true),
            .init(request: request(1, 0, 10), durable: true),
        ])
    }

    // MARK: Stability

    func testIsStableNeedsALaterStampFromEveryOtherPeer() {
        let key = OrderKey(lamport: 10, buyer: 3)
        XCTAssertTrue(OrderBook.isStable(key, lastSeen: [0: 10, 1: 11, 4: 10], others: [0, 1, 4]))
        XCTAssertFalse(OrderBook.isStable(key, lastSeen: [0: 9, 1: 11, 4: 10], others: [0, 1, 4]),
                       "P0 may still send (10, P0), which goes first")
        XCTAssertFalse(OrderBook.isStable(key, lastSeen: [1: 11, 4: 10], others: [0, 1, 4]),
                       "never heard from P0")
        XCTAssertTrue(OrderBook.isStable(key, lastSeen: [0: 0, 1: 11, 4: 10], others: [1, 4]),
                      "a peer that is not live is not waited for")
        XCTAssertTrue(OrderBook.isStable(key, lastSeen: [:], others: [PeerID]()), "nobody to wait for")
    }

    func testIsStableIsExactAtTheTie() {
        // After a stamp of 9, a peer's next message is stamped 10 or more: its key is (10, p).
        let key = OrderKey(lamport: 10, buyer: 3)
        XCTAssertTrue(OrderBook.isStable(key, lastSeen: [4: 9], others: [4]), "(10, P4) comes after (10, P3)")
        XCTAssertFalse(OrderBook.isStable(key, lastSeen: [2: 9], others: [2]), "(10, P2) would come first")
        XCTAssertTrue(OrderBook.isStable(key, lastSeen: [2: 10], others: [2]))
        XCTAssertFalse(OrderBook.isStable(key, lastSeen: [4: 8], others: [4]))
    }

    func testTheHeadWaitsUntilEveryOtherLivePeerSentSomethingLater() {
        var book = OrderBook()
        book.insert(request(0, 0, 5), durable: true)
        var lastSeen: [PeerID: UInt64] = [0: 5, 1: 2, 2: 2]
        XCTAssertEqual(book.popDecidable(lastSeen: lastSeen, others: [0, 1, 2]), [])
        lastSeen[1] = 6
        XCTAssertEqual(book.popDecidable(lastSeen: lastSeen, others: [0, 1, 2]), [], "P2 has not spoken since")
        lastSeen[2] = 6
        XCTAssertEqual(ids(book.popDecidable(lastSeen: lastSeen, others: [0, 1, 2])), [p0])
        XCTAssertTrue(book.isEmpty)
    }

    func testANonDurableHeadIsNotDecided() {
        var book = OrderBook()
        book.insert(request(0, 0, 5), durable: false)
        book.insert(request(1, 0, 6), durable: true)
        let everybody: [PeerID: UInt64] = [0: 50, 1: 50, 2: 50]
        XCTAssertEqual(book.popDecidable(lastSeen: everybody, others: [0, 1, 2]), [],
                       "a durable later request does not jump a head whose enqueue is in flight")
        book.markDurable(request(0, 0, 5))
        XCTAssertEqual(ids(book.popDecidable(lastSeen: everybody, others: [0, 1, 2])), [p0, p1])
    }

    func testALateLowTimestampIsNeverOvertaken() {
        // (10, P1) arrives first and its enqueue goes to the store; then (4, P0) arrives while
        // that enqueue is in flight. (10, P1) becomes durable first, and by then P0 and P2 have
        // spoken later, but the lower request still goes first.
        var book = OrderBook()
        book.insert(request(1, 0, 10), durable: false)
        book.insert(request(0, 0, 4), durable: false)
        book.markDurable(request(1, 0, 10))
        let lastSeen: [PeerID: UInt64] = [0: 12, 1: 10, 2: 12]
        XCTAssertEqual(book.popDecidable(lastSeen: lastSeen, others: [0, 1, 2]), [])
        book.markDurable(request(0, 0, 4))
        XCTAssertEqual(ids(book.popDecidable(lastSeen: lastSeen, others: [0, 1, 2])), [p0, p1])
    }

    func testStopsAtTheFirstUnstableHead() {
        var book = OrderBook()
        book.insert(request(0, 0, 3), durable: true)
        book.insert(request(1, 0, 8), durable: true)
        book.insert(request(2, 0, 9), durable: true)
        // Everyone spoke at 7 or later: (3, P0) is stable, (8, P1) is not (P0 may still send 8).
        let decided = book.popDecidable(lastSeen: [0: 7, 1: 8, 2: 9], others: [0, 1, 2])
        XCTAssertEqual(ids(decided), [p0])
        XCTAssertEqual(keys(book), [p1, p2])
    }

    func testRespectsTheBatchLimit() {
        var book = OrderBook()
        for buyer in 0..<5 { book.insert(request(buyer, 0, UInt64(buyer + 1)), durable: true) }
        let lastSeen = Dictionary(uniqueKeysWithValues: (0..<5).map { ($0, UInt64(100)) })
        XCTAssertEqual(book.popDecidable(lastSeen: lastSeen, others: 0..<5, limit: 2).map(\.buyer), [0, 1])
        XCTAssertEqual(book.popDecidable(lastSeen: lastSeen, others: 0..<5, limit: 2).map(\.buyer), [2, 3])
        XCTAssertEqual(book.popDecidable(lastSeen: lastSeen, others: 0..<5).map(\.buyer), [4])
    }

    func testTheImmediateRuleDecidesWithoutWaiting() {
        var book = OrderBook(rule: .immediate)
        book.insert(request(1, 0, 10), durable: true)
        book.insert(request(2, 0, 11), durable: false)
        let decided = book.popDecidable(lastSeen: [:], others: [0, 1, 2])
        XCTAssertEqual(ids(decided), [p1], "stability ignored; durability still required")
        XCTAssertEqual(OrderBook().rule, .lamport)
    }
}
