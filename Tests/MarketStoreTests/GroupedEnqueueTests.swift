import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// On SQLite the enqueues at the head of a store batch go in one transaction, with the answers
/// each would have had alone.
final class GroupedEnqueueTests: XCTestCase {
    func testEnqueuesAtTheHeadGoTogether_andAnswerAsTheyWouldAlone() throws {
        let database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let run = try database.beginRun(scenario: "grouped", peerCount: 2, seed: 1, peers: [
            PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
        ])
        let store = database.store(runID: run)
        let a = request(0, 0, 5), b = request(0, 1, 6)
        let batch: [StoreRequest] = [.enqueue(a, epoch: 0), .enqueue(b, epoch: 0), .enqueue(a, epoch: 0), .loadBooks(peer: 0)]
        XCTAssertEqual(store.together(batch[...]), 3, "the three enqueues, not what follows")
        let (results, error) = store.performInOrder(batch[...].prefix(3))
        XCTAssertNil(error)
        XCTAssertEqual(results, [.enqueued(a), .enqueued(b), .alreadyPending(a)], "the third sees the first")
        XCTAssertEqual(store.performInOrder([StoreRequest.enqueue(request(0, 2, 7), epoch: 4)][...]).results,
                       [.deposed(current: 0)], "each is fenced by its epoch")
    }
}
