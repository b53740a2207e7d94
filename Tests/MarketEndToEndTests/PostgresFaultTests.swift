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
        (try? scalar(server, url, "SELECT count(*) FROM requests WHERE status <> 'pending';")).flatMap { Int($0) } ?? 0
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
    /// completes, and what it wrote checks. 2000 requests: at a round trip a write, 300 were
    /// all decided before the test could end a session.
    func test_postgres_traderSessionTerminated_runCompletesAndChecks() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("terminated")
        let running = try ChildRun.Running(try Self.marketBinary(), [
            "run", "--scenario", "test_case2", "--requests", "2000", "--sick-rate", "0", "--seed", "16",
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
        try assertDecidedExactlyOnce(server, url, run: runID, expected: 2000)
        try assertCheckedClean(url)
    }

    /// The whole server stops at once (`pg_ctl stop -m immediate`) in the middle of a run. A
    /// run cannot go on without its history, so it fails within seconds and says why in one
    /// line; as the end cannot be written either, it exits 3 and keeps the end for the next
    /// `market run`. Once the server is back, what was recorded checks, and the next run on
    /// the database marks the run `failed`.
    func test_postgres_serverStoppedMidRun_failsInSecondsAndTheHistoryChecks() throws {
        let server = try privatePostgres()
        // Other tests of this process share the server: it is running again whatever happens here.
        defer { if !server.isReady { try? server.start() } }
        let url = try server.createDatabase("stopped")
        let running = try ChildRun.Running(try Self.marketBinary(), [
            "run", "--scenario", "test_case2", "--requests", "1000", "--sick-rate", "0", "--seed", "17",
            "--db", url, "--time-limit", "90",
        ])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        XCTAssertTrue(waitForDecisions(beyond: 20, server, url, while: { running.process.isRunning }), "the run never got going")
        let runID = try XCTUnwrap(try scalar(server, url, "SELECT max(run_id) FROM runs;").flatMap(Int.init))

        try server.stopImmediately()
        let stopped = Date()
        let run = running.finish(deadline: 60)
        let took = Date().timeIntervalSince(stopped)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertFalse(run.timedOut, "the run did not end without its server")
        XCTAssertLessThan(took, 15, "the run took \(took) s to see its server gone")
        XCTAssertEqual(run.status, 3, "the end could not be recorded: \(run.errors)")
        let lines = run.errors.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.contains("cannot record the end of run \(runID) as failed") && $0.contains("server") },
                      run.errors)
        XCTAssertFalse(lines.contains { $0.contains("Fatal error") || $0.contains("Stack dump") || $0.hasPrefix("#") }, run.errors)

        try server.start()
        let check = try market(["check", "--db", url, "--run", "\(runID)"], deadline: 60)
        XCTAssertEqual(check.status, 0, check.stderr + check.stdout)
        XCTAssertTrue(check.stdout.contains("no violation"), check.stdout)
        let next = try market(["run", "--scenario", "lone_peer", "--sick-rate", "0", "--db", url], deadline: 60)
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(try scalar(server, url, "SELECT status FROM runs WHERE run_id = \(runID);"), "failed",
                       "the next run recorded the end the server could not take")
    }

    /// A chaos round on PostgreSQL: the trader SIGKILLed while its session is inside a
    /// transaction, a few times; the run completes, every request decided exactly once. A
    /// trader's write is one statement (a server function), so "inside" is while the server
    /// runs it: the server finishes and commits it for a client that is gone, and the next
    /// trader must find it done. 600 requests a buyer keep the run going for three kills.
    func test_postgres_chaos_traderKilledMidTransaction_checksClean() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("chaos")
        let directory = try TemporaryDirectory()
        let scenario = directory.path("chaos.json")
        try Data("""
            {"name": "pgchaos", "peers": [
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"},
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "boar"},
               {"role": "buyer", "product": "boar"}, {"role": "seller", "product": "salt"}],
             "requests": 600, "sick_rate": 0, "recover_after_ms": 150, "seed": 116, "time_limit_s": 100}
            """.utf8).write(to: URL(fileURLWithPath: scenario))
        let running = try ChildRun.Running(try Self.marketBinary(), ["run", "--scenario", scenario, "--db", url, "--json"])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        let isRunning = { running.process.isRunning }

        var kills = 0
        var midTransaction = 0
        var looks = 0
        while kills < 3, looks < 400, isRunning() {
            looks += 1
            let before = decidedCount(server, url)
            guard before > 0, let trader = try currentTrader(server, url),
                  let pid = try scalar(server, url, "SELECT pid FROM peers WHERE run_id = \(trader.run) AND peer_id = \(trader.peer);")
                    .flatMap(Int32.init) else {
                _ = waitForDecisions(beyond: before, server, url, while: isRunning, within: 5)
                continue
            }
            let inTransaction = try scalar(server, url, """
                SELECT count(*) FROM pg_stat_activity
                WHERE application_name = 'market P\(trader.peer) run \(trader.run)' AND xact_start IS NOT NULL;
                """).flatMap(Int.init) ?? 0
            // Wait for a look that finds the trader inside a transaction; after many, kill anyway.
            guard inTransaction > 0 || looks % 50 == 0 else { continue }
            guard kill(pid, SIGKILL) == 0 else { continue }
            kills += 1
            if inTransaction > 0 { midTransaction += 1 }
            XCTAssertTrue(waitForDecisions(beyond: decidedCount(server, url), server, url, while: isRunning, within: 60) || !isRunning(),
                          "no decision after the trader was killed")
        }
        print("postgres chaos: \(kills) SIGKILLs of the trader, \(midTransaction) seen inside a transaction just before")
        let run = running.finish(deadline: 150)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertFalse(run.timedOut, "the run did not end")
        XCTAssertEqual(kills, 3, "the trader was killed \(kills) times only")
        XCTAssertGreaterThan(midTransaction, 0, "no kill found the trader inside a transaction")
        XCTAssertEqual(run.status, 0, run.errors.suffix(3000) + run.output)
        let json = try XCTUnwrap(try? JSONSerialization.jsonObject(with: run.stdout) as? [String: Any], run.output)
        XCTAssertEqual(json["status"] as? String, "completed")
        let runID = try XCTUnwrap(json["run_id"] as? Int)
        XCTAssertGreaterThanOrEqual(Int(try scalar(server, url, "SELECT count(*) FROM faults WHERE run_id = \(runID) AND kind = 'crash';") ?? "") ?? 0,
                                    3, "every kill is a crash in the history")
        try assertDecidedExactlyOnce(server, url, run: runID, expected: 1800)
        try assertCheckedClean(url)
    }
}
