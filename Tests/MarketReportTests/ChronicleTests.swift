import Foundation
import GRDB
import MarketCore
import MarketStore
import XCTest

/// `MarketDatabase.chronicle` on a real SQLite file: times relative to the run's start, the
/// space-time window around an election, a live run's end.
final class ChronicleTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-chronicle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A run started at a known time, with two elections and traced messages every 10 ms.
    func history() throws -> (MarketDatabase, Int64) {
        let path = directory.appendingPathComponent("market.db").path
        let runID = try MarketDatabase.open(path: path).beginRun(
            scenario: "unit", peerCount: 3, seed: 1,
            peers: [PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
                    PeerSpec(id: 2, role: .seller, product: .boar)])
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let at = { (ms: Int) in String(format: "2026-01-01T00:00:%02d.%03dZ", ms / 1000, ms % 1000) }
            try db.execute(sql: "UPDATE runs SET started_at = ? WHERE run_id = ?", arguments: [at(0), runID])
            try db.execute(sql: """
                INSERT INTO elections(run_id, epoch, initiator_id, winner_id, reason, started_at, finished_at)
                VALUES (?1, 1, 0, 2, 'startup', ?2, ?3), (?1, 2, 0, 1, 'heartbeat timeout', ?4, ?5)
                """, arguments: [runID, at(10), at(20), at(5000), at(5150)])
            try db.execute(sql: "INSERT INTO faults(run_id, peer_id, kind, at) VALUES (?, 2, 'crash', ?)", arguments: [runID, at(4900)])
            for step in 0..<1000 {
                let kind = step % 3 == 0 ? "heartbeat" : (5000...5150).contains(step * 10) ? "election" : "buy"
                try db.execute(sql: """
                    INSERT INTO messages(run_id, kind, from_id, to_id, send_clock, recv_clock, received_at)
                    VALUES (?, ?, 0, 1, ?, ?, ?)
                    """, arguments: [runID, kind, step * 2, step * 2 + 1, at(step * 10)])
            }
        }
        return (try MarketDatabase.openReadOnly(path: path), runID)
    }

    func testTimesAreMillisecondsSinceTheStartAndALiveRunEndsAtItsNewestRow() throws {
        let (database, runID) = try history()
        let chronicle = try database.chronicle(runID: runID, window: .time(fromMs: 0, toMs: 100))
        XCTAssertEqual(chronicle.elections.map(\.startedMs), [10, 5000])
        XCTAssertEqual(chronicle.elections.map(\.finishedMs), [20, 5150])
        XCTAssertEqual(chronicle.faults.map(\.atMs), [4900])
        XCTAssertEqual(chronicle.endMs, 5150, accuracy: 0.5, "no finished_at: the newest election or fault")
        XCTAssertEqual(chronicle.messageCount, 1000)
        XCTAssertEqual(chronicle.messages.count, 11, "0, 10, … 100 ms")
    }

    func testTheDefaultWindowIsTheFirstReElectionWithTheBuysAroundIt() throws {
        let (database, runID) = try history()
        let chronicle = try database.chronicle(runID: runID, window: .election(epoch: nil, before: 4, after: 6))
        let messages = chronicle.messages
        XCTAssertEqual(messages.filter { $0.kind == "election" }.count, 16 - 5, "every election message, 5000–5150 ms")
        let first = try XCTUnwrap(messages.first?.receivedMs)
        let last = try XCTUnwrap(messages.last?.receivedMs)
        XCTAssertEqual(messages.filter { $0.kind == "buy" && $0.receivedMs! < 5000 }.count, 4)
        XCTAssertEqual(messages.filter { $0.kind == "buy" && $0.receivedMs! > 5150 }.count, 6)
        XCTAssertTrue(messages.filter { $0.kind == "heartbeat" }.allSatisfy { (first...last).contains($0.receivedMs!) })
        XCTAssertEqual(messages.map(\.receivedMs), messages.map(\.receivedMs).sorted { $0! < $1! }, "in the order received")
        let startup = try database.chronicle(runID: runID, window: .election(epoch: 1, before: 4, after: 6))
        XCTAssertEqual(startup.messages.first?.receivedMs, 10, "nothing but a heartbeat came before the first election")
        XCTAssertTrue(try database.chronicle(runID: runID, window: .election(epoch: 9, before: 4, after: 6)).messages.isEmpty)
    }
}
