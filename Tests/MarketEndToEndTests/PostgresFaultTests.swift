import Foundation
import MarketTestKit
import XCTest

/// The real `market` binary on PostgreSQL while the server misbehaves: the trader's session
/// ended by the server, the whole server stopped at once, the trader killed mid-transaction.
/// Each run's history must pass `market check` and decide every request exactly once.
extension EndToEndTests {
    /// One value from the server (the first column of the first row), trimmed; nil when empty.
    func scalar(_ server: PrivatePostgres, _ url: String, _ sql: String) throws -> String? {
        let text = try server.psql(url: url, sql).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text.components(separatedBy: "\n").first
    }

    func decidedCount(_ server: PrivatePostgres, _ url: String) -> Int {
        (try? scalar(server, url, "SELECT count(*) FROM requests WHERE status <> 'pending';")).flatMap { $0.flatMap(Int.init) } ?? 0
    }

    /// Waits until more than `count` requests are decided, or the run ends; false on the deadline.
    func waitForDecisions(beyond count: Int, _ server: PrivatePostgres, _ url: String, while running: () -> Bool,
                          within seconds: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if decidedCount(server, url) > count { return true }
            if !running() { return false }
            usleep(20_000)
        }
        return false
    }

    /// The current trader and its run, from the leader record.
    func currentTrader(_ server: PrivatePostgres, _ url: String) throws -> (run: Int, peer: Int)? {
        guard let row = try scalar(server, url, "SELECT run_id || ' ' || leader_id FROM leader WHERE leader_id IS NOT NULL ORDER BY run_id DESC LIMIT 1;")
        else { return nil }
        let parts = row.split(separator: " ").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// Every request of run `run` decided exactly once, at most one trade each, none pending.
    func assertDecidedExactlyOnce(_ server: PrivatePostgres, _ url: String, run: Int, expected: Int,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let counts = try scalar(server, url, """
            SELECT (SELECT count(*) FROM requests WHERE run_id = \(run)) || ' ' ||
                   (SELECT count(*) FROM requests WHERE run_id = \(run) AND status = 'pending') || ' ' ||
                   (SELECT count(DISTINCT decided_seq) FROM requests WHERE run_id = \(run) AND decided_seq IS NOT NULL) || ' ' ||
                   (SELECT count(*) FROM trades WHERE run_id = \(run)) || ' ' ||
                   (SELECT count(DISTINCT request_id) FROM trades WHERE run_id = \(run)) || ' ' ||
                   (SELECT count(*) FROM requests WHERE run_id = \(run) AND status = 'bought');
            """)
        let values = (counts ?? "").split(separator: " ").compactMap { Int($0) }
        guard values.count == 6 else { return XCTFail("cannot count the requests: \(counts ?? "nothing")", file: file, line: line) }
        XCTAssertEqual(values[0], expected, "requests recorded", file: file, line: line)
        XCTAssertEqual(values[1], 0, "requests left pending", file: file, line: line)
        XCTAssertEqual(values[2], expected, "one decision per request", file: file, line: line)
        XCTAssertEqual(values[3], values[4], "at most one trade per request", file: file, line: line)
        XCTAssertEqual(values[3], values[5], "a trade for every bought request and no other", file: file, line: line)
    }

    /// The server ends the trader's session (`pg_terminate_backend`, found by its application
    /// name) again and again: each time the trader connects afresh and goes on, so the run
    /// completes, and what it wrote checks.
    func test_postgres_traderSessionTerminated_runCompletesAndChecks() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("terminated")
        let running = try ChildRun.Running(try Self.marketBinary(), [
            "run", "--scenario", "test_case2", "--requests", "300", "--sick-rate", "0", "--seed", "16",
            "--db", url, "--json", "--time-limit", "90",
        ])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        let isRunning = { running.process.isRunning }

        var terminated = 0
        var attempts = 0
        while terminated < 5, attempts < 200, isRunning() {
            attempts += 1
            let before = decidedCount(server, url)
            guard before > 0, let trader = try currentTrader(server, url) else {
                _ = waitForDecisions(beyond: before, server, url, while: isRunning, within: 5)
                continue
            }
            let ended = try scalar(server, url, """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name = 'market P\(trader.peer) run \(trader.run)';
                """).flatMap(Int.init) ?? 0
            guard ended > 0 else { continue }
            terminated += 1
            // The trader decides again after losing its session: it reconnected (or was replaced).
            XCTAssertTrue(waitForDecisions(beyond: decidedCount(server, url), server, url, while: isRunning) || !isRunning(),
                          "no decision after the trader's session was ended")
        }
        let run = running.finish(deadline: 120)
        XCTAssertFalse(run.timedOut, "the run did not end")
        XCTAssertGreaterThanOrEqual(terminated, 3, "the trader's session was ended \(terminated) times only")
        XCTAssertEqual(run.status, 0, run.errors.suffix(3000) + run.output)
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], run.output)
        XCTAssertEqual(json["status"] as? String, "completed")
        XCTAssertEqual(json["passed"] as? Bool, true)
        let runID = try XCTUnwrap(json["run_id"] as? Int)
        try assertDecidedExactlyOnce(server, url, run: runID, expected: 300)
        try assertCheckedClean(url)
    }
}
