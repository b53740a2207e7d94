import Foundation
import GRDB
import MarketTestKit
import XCTest

/// Buyers that keep several requests in flight, in real processes: every request decided once,
/// the run's setting recorded, requests sent to the trader alone, and a turn's envelopes to a
/// neighbour sharing frames.
extension EndToEndTests {
    func test_pipelinedBuyers_decideEveryRequestOnce_andShareFrames() throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "many_buyers", "--peers", "8", "--requests", "60", "--in-flight", "4",
                                  "--sick-rate", "0", "--seed", "5", "--db", path, "--json", "--time-limit", "45"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["in_flight"] as? Int, 4)
        let envelopes = try XCTUnwrap(json["envelopes_per_decision"] as? Double)
        let frames = try XCTUnwrap(json["frames_per_decision"] as? Double)
        XCTAssertLessThan(frames, envelopes, "several requests in flight give a turn several envelopes a neighbour")
        XCTAssertLessThan(envelopes, 6, "each request goes to the trader alone: multicast to the 6 buyers, a buy cost 8.6")
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int))
        let db = try readOnly(path)
        try assertDecidedExactlyOnce(db, runID: runID, expected: 6 * 60)
        try db.read { db in
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT in_flight FROM runs WHERE run_id = ?", arguments: [runID]), 4)
        }
    }

    func test_pipelinedBuyers_surviveACrashedTrader() throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "test_case3", "--requests", "80", "--in-flight", "3",
                                  "--sick-mode", "crash", "--sick-rate", "0.03", "--recover-after", "0.2", "--seed", "7",
                                  "--db", path, "--json", "--time-limit", "45"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["passed"] as? Bool, true, "\(json["violations"] ?? "")")
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int))
        XCTAssertGreaterThan((json["elections"] as? [Any])?.count ?? 0, 1, "the trader fell and another took over")
        try assertDecidedExactlyOnce(try readOnly(path), runID: runID, expected: 2 * 80)
    }
}
