import MarketCore
import MarketSimulation
import MarketStore
import MarketTestKit
import XCTest

/// Views go with the batch that carries them: written with it, ahead of its decisions, or not
/// at all.
extension StoreContract {
    static func view(_ number: Int, _ members: [PeerID], dropped: [PeerID] = [], readmitted: [PeerID] = [],
                     from seq: Int, epoch: Epoch = 1) -> ViewChange {
        ViewChange(epoch: epoch, view: number, trader: trader, members: members, dropped: dropped, readmitted: readmitted,
                   firstSeq: seq)
    }

    /// What the store recorded of views, read the way each store can be read.
    func recordedViews(_ store: any TradingPostStore, file: StaticString = #filePath, line: UInt = #line) throws -> [ViewChange] {
        switch store {
        case let memory as InMemoryStore:
            return memory.views
        case let sql as SQLiteStore:
            return try sql.database.views(runID: sql.runID).map { row in
                guard let change = row.change else {
                    XCTFail("view \(row.view) of epoch \(row.epoch) does not read back", file: file, line: line)
                    return Self.view(-1, [], from: 0)
                }
                return change
            }
        default:
            XCTFail("no way to read views from \(type(of: store))", file: file, line: line)
            return []
        }
    }

    func viewsAreWrittenWithTheirBatch() throws {
        let store = try trading()
        let requests = [request(0, 0, 5), request(3, 0, 6)]
        try enqueue(requests, in: store)
        let views = [Self.view(0, [0, 3, 4], from: 1), Self.view(1, [3, 4], dropped: [0], from: 1)]
        let first = DecisionBatch(epoch: 1, decisions: [Self.bought(requests[0], seq: 1, epoch: 1)], views: views)
        XCTAssertEqual(try store.commitDecisions(first), .committed(first))
        XCTAssertEqual(try recordedViews(store), views)
        let back = [Self.view(2, [0, 3, 4], readmitted: [0], from: 2)]
        let second = DecisionBatch(epoch: 1, decisions: [Self.bought(requests[1], seq: 2, epoch: 1)], views: back)
        XCTAssertEqual(try store.commitDecisions(second), .committed(second))
        XCTAssertEqual(try recordedViews(store), views + back)
    }

    func aBatchThatDoesNotLandWritesNoViews() throws {
        let store = try trading(salt: 1)
        let requests = [request(0, 0, 5), request(3, 0, 6)]
        try enqueue(requests, in: store)
        let oversold = DecisionBatch(epoch: 1, decisions: [
            Self.bought(requests[0], seq: 1, epoch: 1), Self.bought(requests[1], seq: 2, epoch: 1),
        ], views: [Self.view(0, [0, 3], from: 1)])
        XCTAssertEqual(refusal { try store.commitDecisions(oversold) },
                       .insufficientStock(seller: Self.seller, product: .salt, quantity: 1))
        XCTAssertEqual(try recordedViews(store), [], "refused whole, its views too")
        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))
        let deposed = DecisionBatch(epoch: 1, decisions: [Self.bought(requests[0], seq: 1, epoch: 1)],
                                    views: [Self.view(0, [0, 3], from: 1)])
        XCTAssertEqual(try store.commitDecisions(deposed), .deposed(current: 2))
        XCTAssertEqual(try recordedViews(store), [], "a deposed trader's views are not written")
    }
}
