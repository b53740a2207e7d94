import Foundation
import GRDB
import MarketTestKit
import XCTest

/// Whole runs under the network's nemesis: links cut and healed on a schedule from the seed,
/// every frame delayed and now and then lost (and sent again). Whatever the protocol manages
/// while links are cut, nothing it recorded may break an invariant, and each action and heal
/// is in the history.
extension EndToEndTests {
    func test_nemesis_partitionsWithLatencyAndLoss_checkClean_andAreRecorded() throws {
        try assertNemesisRun(["--nemesis", "partition,isolate-trader"])
    }

    func test_nemesis_overTCP_oneWayAndBridgeCuts_checkClean_andAreRecorded() throws {
        try assertNemesisRun(["--nemesis", "one-way,bridge", "--transport", "tcp"])
    }

    /// A run with a cut every 0.4 s (healed 0.4 s later) for at most 8 s: it completes, or
    /// stops at its limit if a cut stalled it; either way `market check` passes.
    private func assertNemesisRun(_ extra: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "test_case3", "--requests", "60", "--seed", "9", "--sick-rate", "0",
                                  "--nemesis-interval", "0.4", "--latency", "2ms", "--loss", "0.05",
                                  "--db", path, "--json", "--time-limit", "8"] + extra, deadline: 40)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stderr) \(outcome.stdout)", file: file, line: line)
        let status = try XCTUnwrap(json["status"] as? String, file: file, line: line)
        XCTAssert(["completed", "failed"].contains(status), status, file: file, line: line)
        if status == "failed" {
            XCTAssert((json["problem"] as? String ?? "").contains("time"), "failed, not at its limit: \(json["problem"] ?? "")",
                      file: file, line: line)
        }
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int, file: file, line: line))
        // Every election of the run is charged to exactly one cause.
        let liveness = try XCTUnwrap(json["liveness"] as? [String: Any], "no liveness figures: \(json.keys.sorted())",
                                     file: file, line: line)
        let causes = try XCTUnwrap(liveness["elections"] as? [String: Int], file: file, line: line)
        XCTAssertEqual(Set(causes.keys), ["startup", "lost_trader", "partition", "heal", "higher_peer_back", "unexplained"],
                       file: file, line: line)
        XCTAssertEqual(causes.values.reduce(0, +), (json["elections"] as? [Any])?.count, "\(causes)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(causes["startup"] ?? 0, 1, "the first election is startup's: \(causes)", file: file, line: line)
        XCTAssertGreaterThan(liveness["actions"] as? Int ?? 0, 0, file: file, line: line)
        XCTAssertEqual((liveness["cut_off_requests"] as? [String: Int])?["decided_twice"], 0, file: file, line: line)
        let summary = try XCTUnwrap(json["nemesis"] as? [[String: Any]], file: file, line: line)
        XCTAssertGreaterThan(summary.count, 0, "no nemesis action in the summary", file: file, line: line)
        let rows = try readOnly(path).read { db in
            try Row.fetchAll(db, sql: "SELECT action, groups, links FROM nemesis WHERE run_id = ? ORDER BY nemesis_id",
                             arguments: [runID])
        }
        let actions = rows.filter { ($0["action"] as String) != "heal" }
        XCTAssertGreaterThan(actions.count, 0, "no nemesis action recorded", file: file, line: line)
        XCTAssertEqual(rows.count, summary.count, file: file, line: line)
        for row in actions where (row["action"] as String) != "isolate-trader" {
            XCTAssertFalse((row["links"] as String).isEmpty, "an action that cut nothing: \(row)", file: file, line: line)
            XCTAssertTrue((row["groups"] as String).contains("|"), "an action without its sides: \(row)", file: file, line: line)
        }
        for (earlier, later) in zip(rows, rows.dropFirst()) {
            XCTAssertTrue((earlier["action"] as String) == "heal" || (later["action"] as String) == "heal",
                          "two actions without a heal between them", file: file, line: line)
        }
        let inspect = try market(["inspect", "db", "--db", path])
        XCTAssertTrue(inspect.stdout.contains("nemesis: \(actions.count) actions"), inspect.stdout, file: file, line: line)
        // Every epoch that decided recorded the view it took over with; the changes are the
        // summary's and inspect's.
        let (deciding, viewZero, changes) = try readOnly(path).read { db in (
            try Int.fetchAll(db, sql: "SELECT DISTINCT epoch_decided FROM requests WHERE run_id = ? AND decided_seq IS NOT NULL",
                             arguments: [runID]),
            try Int.fetchAll(db, sql: "SELECT epoch FROM views WHERE run_id = ? AND view = 0", arguments: [runID]),
            try Int.fetchOne(db, sql: "SELECT count(*) FROM views WHERE run_id = ? AND view > 0", arguments: [runID]) ?? 0
        ) }
        XCTAssertGreaterThan(deciding.count, 0, file: file, line: line)
        XCTAssertTrue(Set(deciding).isSubset(of: Set(viewZero)), "deciding epochs \(deciding), views 0 of \(viewZero)",
                      file: file, line: line)
        let summed = (json["view_changes"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["changes"] as? Int ?? 0) }
        XCTAssertEqual(summed, changes, "the summary's view changes", file: file, line: line)
        if changes > 0 {
            XCTAssertTrue(inspect.stdout.contains("view changes: \(changes) ("), inspect.stdout, file: file, line: line)
        }
        try assertCheckedClean(path, file: file, line: line)
    }
}
