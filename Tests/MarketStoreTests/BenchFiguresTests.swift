import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// The SQL behind `market bench`'s figures, on a hand-written history of two runs: each
/// figure counts its own run only, and its times to the microsecond.
final class BenchFiguresTests: XCTestCase {
    var database: MarketDatabase!
    var run = Int64(0)

    override func setUpWithError() throws {
        database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let peers = [PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt)]
        let other = try database.beginRun(scenario: "other", peerCount: 2, seed: 1, peers: peers)
        run = try database.beginRun(scenario: "bench", peerCount: 2, seed: 1, peers: peers)
        try database.write { db in
            func request(_ run: Int64, _ id: String, _ status: RequestStatus, epoch: Epoch, seq: Int?, received: String, decided: String?) throws {
                try db.execute(sql: """
                    INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, epoch_received,
                                         epoch_decided, decided_seq, received_at, decided_at)
                    VALUES (?, ?, 0, 'salt', 1, 1, ?, 1, ?, ?, ?, ?)
                    """, arguments: [run, id, status, seq == nil ? nil : epoch, seq, received, decided])
            }
            let t = "2026-01-01T00:00:00."
            try request(run, "P0-0", .bought, epoch: 1, seq: 0, received: t + "000000Z", decided: t + "000250Z")
            try request(run, "P0-1", .failed, epoch: 1, seq: 1, received: t + "000300Z", decided: t + "001000Z")
            try request(run, "P0-2", .bought, epoch: 2, seq: 2, received: t + "001100Z", decided: t + "500000Z")
            try request(run, "P0-3", .pending, epoch: 2, seq: nil, received: t + "600000Z", decided: nil)
            // The other run's rows would change every figure if a query forgot its run.
            try request(other, "P0-0", .bought, epoch: 1, seq: 0, received: "2025-01-01T00:00:00.000000Z", decided: t + "900000Z")
            for (run, epoch, finished) in [(run, 1, t + "000100Z"), (run, 2, t + "400000Z"), (other, 1, t + "000100Z")] {
                try db.execute(sql: "INSERT INTO elections(run_id, epoch, winner_id, started_at, finished_at) VALUES (?, ?, 1, ?, ?)",
                               arguments: [run, epoch, finished, finished])
            }
            try db.execute(sql: "INSERT INTO faults(run_id, peer_id, kind, at) VALUES (?, 1, 'crash', ?), (?, 1, 'crash', ?)",
                           arguments: [run, t + "200000Z", other, t + "200000Z"])
            for (run, kind) in [(run, "buy"), (run, "buy_result"), (run, "election"), (run, "coordinator"), (other, "buy")] {
                try db.execute(sql: "INSERT INTO messages(run_id, kind, from_id, to_id, send_clock) VALUES (?, ?, 0, 1, 1)",
                               arguments: [run, kind])
            }
        }
    }

    func testDecisionSpanCountsTheRunsDecidedRequestsFromFirstReceivedToLastDecided() throws {
        let span = try database.decisionSpan(runID: run)
        XCTAssertEqual(span.decided, 3)
        XCTAssertEqual(span.bought, 2)
        XCTAssertEqual(span.seconds, 0.5, accuracy: 1e-12)
        XCTAssertEqual(span.boughtPerSecond, 4, accuracy: 1e-9)
    }

    func testDecisionGapsAreMicrosecondsBetweenDecisionsInTheirOrder() throws {
        XCTAssertEqual(try database.decisionGaps(runID: run), [750, 499_000])
    }

    func testMessagesPerBuyLeavesBullysMessagesOut() throws {
        XCTAssertEqual(try database.messagesPerBuy(runID: run), 1, accuracy: 1e-12)
        XCTAssertEqual(try database.electionCount(runID: run), 2)
    }

    func testAFailoverRunsFromTheFaultToTheNextTradersFirstDecision() throws {
        XCTAssertEqual(try database.failovers(runID: run, kind: .crash), [300])
        XCTAssertEqual(try database.failovers(runID: run, kind: .sick), [])
    }
}
