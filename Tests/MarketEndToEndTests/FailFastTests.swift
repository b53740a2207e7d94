import Foundation
import GRDB
import MarketTestKit
import XCTest

/// A store error that will not go away ends the run within seconds, marked and explained.
extension EndToEndTests {
    func test_aDatabaseMissingATable_failsTheRunFast_sayingWhy() throws {
        let path = try temporaryDatabasePath()
        let first = try market(["run", "--scenario", "single_pair", "--requests", "3", "--sick-rate", "0", "--seed", "1",
                                "--db", path], deadline: 30)
        XCTAssertEqual(first.status, 0, first.stderr)
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "DROP TABLE trades") }

        let outcome = try market(["run", "--scenario", "single_pair", "--requests", "50", "--sick-rate", "0",
                                  "--seed", "2", "--db", path, "--json"], deadline: 30)
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertFalse(outcome.stderr.contains("time limit"), "ended by the fatal error, not by its time limit")
        XCTAssertTrue(outcome.stderr.contains("cannot go on"), outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("no such table: trades"), outcome.stderr)
        XCTAssertLessThan(outcome.stderr.split(separator: "\n").count, 12, "no crash-restart loop:\n\(outcome.stderr)")
        XCTAssertEqual(try readOnly(path).read { db in
            try String.fetchOne(db, sql: "SELECT status FROM runs WHERE run_id = 2")
        }, "failed", outcome.stderr)
    }
}
