import Foundation
import GRDB
import MarketTestKit
import XCTest

/// Runs of the real `market` binary: one OS process per peer, Unix sockets, SQLite.
final class EndToEndTests: XCTestCase {
    /// The `market` executable built next to this test bundle.
    static func marketBinary() throws -> URL {
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["MARKET_BINARY"] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        for bundle in [Bundle.main] + Bundle.allBundles {
            candidates.append(bundle.bundleURL.appendingPathComponent("market"))
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("market"))
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) {
            return found
        }
        XCTFail("the market binary is missing next to the test bundle (looked at \(candidates.map(\.path))); "
            + "build it first with `swift build`, or set MARKET_BINARY")
        throw XCTSkip("no market binary")
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]?
    }

    /// Runs `market` with a deadline: a run that outlives it is killed and the test fails.
    func market(_ arguments: [String], deadline: TimeInterval = 50) throws -> Outcome {
        let run = try ChildRun.run(try Self.marketBinary(), arguments, deadline: deadline)
        if run.timedOut { XCTFail("market \(arguments.joined(separator: " ")) ran longer than \(Int(deadline)) s") }
        removeKeptDirectoryAtTeardown(run)
        let json = try? JSONSerialization.jsonObject(with: run.stdout) as? [String: Any]
        return Outcome(status: run.status, stdout: run.output, stderr: run.errors, json: json)
    }

    /// A failed run keeps its directory for the user (`peer logs kept in …`); a test's run is
    /// the test's to clean up, once the test has looked at it.
    func removeKeptDirectoryAtTeardown(_ run: ChildRun) {
        for line in run.errors.split(separator: "\n") {
            guard let kept = line.firstMatch(of: #/peer logs kept in (/tmp/market-[^ ]+)$/#) else { continue }
            let directory = String(kept.1)
            addTeardownBlock { try? FileManager.default.removeItem(atPath: directory) }
        }
    }

    func readOnly(_ path: String) throws -> DatabaseQueue {
        var config = Configuration()
        config.readonly = true
        // A peer killed mid-write leaves the WAL to be recovered by the next opener; a reader
        // that arrives meanwhile waits instead of failing.
        config.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: config)
    }

    /// Every request of the run decided exactly once, with at most one trade each.
    func assertDecidedExactlyOnce(_ db: DatabaseQueue, runID: Int64, expected: Int,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        try db.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM requests WHERE run_id = ?", arguments: [runID])
            // Each buyer's count beside its highest number tells a request lost from the middle
            // (a restored buyer goes on after it) from a buyer that stopped early.
            let perBuyer = total == expected ? [] : try Row.fetchAll(db, sql: """
                SELECT buyer_id, count(*) AS recorded,
                       max(CAST(substr(request_id, instr(request_id, '-') + 1) AS INTEGER)) AS highest
                FROM requests WHERE run_id = ? GROUP BY buyer_id ORDER BY buyer_id
                """, arguments: [runID]).map { row in
                "P\(row["buyer_id"] as Int): \(row["recorded"] as Int) recorded, highest seq \(row["highest"] as Int)"
            }
            XCTAssertEqual(total, expected, "requests recorded \(perBuyer.joined(separator: "; "))", file: file, line: line)
            let pending = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM requests WHERE run_id = ? AND status = 'pending'", arguments: [runID])
            XCTAssertEqual(pending, 0, "pending requests left", file: file, line: line)
            let orders = try Int.fetchOne(db, sql: """
                SELECT count(DISTINCT decided_seq) FROM requests WHERE run_id = ? AND decided_seq IS NOT NULL
                """, arguments: [runID])
            XCTAssertEqual(orders, expected, "one decision per request", file: file, line: line)
            // (A second trade for one request is impossible by a unique index; what could go
            // wrong is a sale without its bought request, or goods sold that were never deposited.)
            let trades = try Int.fetchOne(db, sql: "SELECT count(*) FROM trades WHERE run_id = ?", arguments: [runID])
            let bought = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM requests WHERE run_id = ? AND status = 'bought'", arguments: [runID])
            XCTAssertEqual(trades, bought, "one trade per bought request", file: file, line: line)
            let oversold = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM (SELECT seller_id, product, sum(quantity) AS sold FROM trades WHERE run_id = ?1
                                      GROUP BY seller_id, product) t
                WHERE t.sold > (SELECT coalesce(sum(quantity), 0) FROM deposits d
                                WHERE d.run_id = ?1 AND d.seller_id = t.seller_id AND d.product = t.product)
                """, arguments: [runID])
            XCTAssertEqual(oversold, 0, "goods sold beyond what their seller deposited", file: file, line: line)
            let boughtWithoutTrade = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM requests r WHERE r.run_id = ?1 AND r.status = 'bought'
                  AND NOT EXISTS (SELECT 1 FROM trades t WHERE t.run_id = ?1 AND t.request_id = r.request_id)
                """, arguments: [runID])
            XCTAssertEqual(boughtWithoutTrade, 0, "bought requests without a trade", file: file, line: line)
        }
    }

    /// test_case3 with 30 requests a buyer (and `extra` arguments), run to completion and
    /// passed, every request decided exactly once: its database and run.
    func completedCase3(_ extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> (path: String, runID: Int64) {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "test_case3", "--requests", "30", "--seed", "3",
                                  "--sick-rate", "0", "--db", path, "--json", "--time-limit", "45"] + extra)
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout, file: file, line: line)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)", file: file, line: line)
        XCTAssertEqual(json["status"] as? String, "completed", file: file, line: line)
        XCTAssertEqual(json["passed"] as? Bool, true, file: file, line: line)
        XCTAssertEqual(json["decided"] as? Int, 60, file: file, line: line)
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int, file: file, line: line))
        try assertDecidedExactlyOnce(try readOnly(path), runID: runID, expected: 60, file: file, line: line)
        return (path, runID)
    }

    func test_case3_twoBuyersOfSalt() throws {
        let (path, runID) = try completedCase3()
        let db = try readOnly(path)
        try db.read { db in
            let status = try String.fetchOne(db, sql: "SELECT status FROM runs WHERE run_id = ?", arguments: [runID])
            XCTAssertEqual(status, "completed")
            // Both buyers bought salt, each of its requests once.
            for buyer in [0, 3] {
                let decided = try Int.fetchOne(db, sql: """
                    SELECT count(*) FROM requests WHERE run_id = ? AND buyer_id = ? AND status != 'pending'
                    """, arguments: [runID, buyer])
                XCTAssertEqual(decided, 30, "P\(buyer)'s requests")
            }
            let ledgers = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM peers WHERE run_id = ? AND cash_cents IS NOT NULL
                """, arguments: [runID])
            XCTAssertEqual(ledgers, 7, "every peer wrote its ledger")
        }
    }

    func test_case2_crashTakeover() throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "test_case2", "--requests", "120", "--sick-mode", "crash",
                                  "--sick-rate", "0.05", "--recover-after", "0.2", "--seed", "11", "--db", path,
                                  "--json", "--time-limit", "45"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int))
        let db = try readOnly(path)
        try assertDecidedExactlyOnce(db, runID: runID, expected: 120)
        try db.read { db in
            let crashes = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM faults WHERE run_id = ? AND kind = 'crash'", arguments: [runID]) ?? 0
            XCTAssertGreaterThan(crashes, 0, "the trader never crashed")
            let takenOver = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM requests WHERE run_id = ? AND epoch_decided > epoch_received
                """, arguments: [runID]) ?? 0
            XCTAssertGreaterThan(takenOver, 0, "no request queued under one epoch was decided under a later one")
            let epochs = try Int.fetchOne(db, sql: "SELECT epoch FROM leader WHERE run_id = ?", arguments: [runID]) ?? 0
            XCTAssertGreaterThan(epochs, 1)
            let electing = try Bool.fetchOne(db, sql: "SELECT election_in_progress FROM leader WHERE run_id = ?", arguments: [runID])
            XCTAssertEqual(electing, false, "a completed run shows no election in progress")
            let down = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM faults WHERE run_id = ? AND kind = 'down_at_start' AND peer_id = 4
                """, arguments: [runID])
            XCTAssertEqual(down, 1, "P4 recorded as down from the start")
        }
    }

    /// Ctrl-C while a run is live: every peer stops, the run is `interrupted`, exit non-zero soon.
    func test_interrupt_stopsEveryPeer() throws {
        let path = try temporaryDatabasePath()
        let process = Process()
        process.executableURL = try Self.marketBinary()
        process.arguments = ["run", "--scenario", "test_case2", "--seed", "5", "--db", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // Wait (polling the database, with a deadline) until a trader is in office and trades.
        let deadline = Date().addingTimeInterval(30)
        var pids: [Int32] = []
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path), let db = try? readOnly(path),
               let trading = try? db.read({ db in
                   try Int.fetchOne(db, sql: "SELECT count(*) FROM requests") ?? 0
               }), trading > 0 {
                pids = try db.read { db in try Int32.fetchAll(db, sql: "SELECT pid FROM peers WHERE pid IS NOT NULL") }
                break
            }
            usleep(20_000)
        }
        XCTAssertEqual(pids.count, 4, "the live peers' pids")
        kill(process.processIdentifier, SIGINT)
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success, "market run did not stop")
        XCTAssertEqual(process.terminationStatus, 128 + SIGINT)
        // No peer outlives the supervisor (they are reaped by it or by init once gone).
        let gone = Date().addingTimeInterval(20)
        while Date() < gone, pids.contains(where: { kill($0, 0) == 0 }) { usleep(20_000) }
        for pid in pids { XCTAssertNotEqual(kill(pid, 0), 0, "peer process \(pid) outlived the run") }
        let db = try readOnly(path)
        let status = try db.read { db in try String.fetchOne(db, sql: "SELECT status FROM runs") }
        XCTAssertEqual(status, "interrupted")
    }

    /// A scenario file, and a trader that falls silent now and then and recovers.
    func test_scenarioFile_silentSickness() throws {
        let path = try temporaryDatabasePath()
        let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("salt.json")
        try Data("""
            {"name": "salt_pair", "peers": [
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"},
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "boar"}],
             "requests": 40, "sick_rate": 0.05, "sick_mode": "silent", "recover_after_ms": 200, "seed": 8}
            """.utf8).write(to: file)
        let outcome = try market(["run", "--scenario", file.path, "--db", path, "--json", "--time-limit", "45"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["scenario"] as? String, "salt_pair")
        XCTAssertEqual(json["seed"] as? Int, 8)
        XCTAssertEqual(json["passed"] as? Bool, true)
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int))
        let db = try readOnly(path)
        try assertDecidedExactlyOnce(db, runID: runID, expected: 80)
        try db.read { db in
            let sick = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE run_id = ? AND kind = 'sick'",
                                        arguments: [runID]) ?? 0
            let recovered = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE run_id = ? AND kind = 'recover'",
                                             arguments: [runID]) ?? 0
            XCTAssertGreaterThan(sick, 0, "the trader never fell sick")
            XCTAssertEqual(sick, recovered, "every sick peer recovered")
        }
    }

    /// Polls the database (with a deadline) until `condition` holds; the value it found.
    func waitFor<T>(_ path: String, within seconds: TimeInterval = 30, _ what: String, quiet: Bool = false,
                    _ condition: (Database) throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path), let db = try? readOnly(path),
               let found = try? db.read({ try condition($0) }) {
                return found
            }
            usleep(20_000)
        }
        if !quiet { XCTFail("gave up waiting for \(what)") }
        throw CocoaError(.userCancelled)
    }

    /// A trader paused (SIGSTOP) until a new trader took office, then continued (SIGCONT):
    /// it writes nothing with its old epoch, steps down, and the run completes and checks.
    func test_pausedTrader_writesNothingWithItsOldEpoch() throws {
        let path = try temporaryDatabasePath()
        let process = Process()
        process.executableURL = try Self.marketBinary()
        // Enough requests that the run cannot end between two pauses (a pause inside a commit
        // delays the takeover, and the run goes on meanwhile); a continue after the end would not
        // be recorded.
        process.arguments = ["run", "--scenario", "test_case2", "--requests", "2000", "--sick-rate", "0", "--seed", "5",
                             "--db", path, "--json", "--time-limit", "120"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        nonisolated(unsafe) var outData = Data()
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) { outData = out.fileHandleForReading.readDataToEndOfFile() }

        let trader = try waitFor(path, "P3 trading in epoch 1") { db -> Int32? in
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM trades WHERE epoch = 1") ?? 0 > 0 else { return nil }
            return try Int32.fetchOne(db, sql: "SELECT pid FROM peers WHERE peer_id = 3")
        }
        // Paused inside a write transaction, the trader holds SQLite's write lock and nobody
        // can take office until it continues: then pause it again at another moment.
        var pausesTried = 0
        var tookOffice = false
        while !tookOffice, pausesTried < 5 {
            pausesTried += 1
            XCTAssertEqual(kill(trader, SIGSTOP), 0)
            tookOffice = (try? waitFor(path, within: 5, "a new trader in epoch 2", quiet: true) { db -> String? in
                try String.fetchOne(db, sql: "SELECT finished_at FROM elections WHERE epoch = 2")
            }) != nil
            XCTAssertEqual(kill(trader, SIGCONT), 0)
            // The supervisor sees a stop and a continue by polling; pausing again before it
            // saw this continue would hide the next pause from the history.
            _ = try waitFor(path, "the supervisor noticing P3 continue") { db -> Int? in
                let recovered = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM faults WHERE peer_id = 3 AND kind = 'recover'") ?? 0
                return recovered >= pausesTried ? recovered : nil
            }
        }
        XCTAssertTrue(tookOffice, "no new trader took office while P3 was paused (\(pausesTried) pauses)")
        let epoch2 = try waitFor(path, "a new trader in epoch 2") { db -> String? in
            try String.fetchOne(db, sql: "SELECT finished_at FROM elections WHERE epoch = 2")
        }
        XCTAssertEqual(finished.wait(timeout: .now() + 120), .success, "the run did not end")
        reader.wait()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: outData, as: UTF8.self))
        let db = try readOnly(path)
        try db.read { db in
            let late = try Int.fetchOne(db, sql: "SELECT count(*) FROM trades WHERE epoch = 1 AND at > ?",
                                        arguments: [epoch2]) ?? 0
            XCTAssertEqual(late, 0, "the paused trader sold with its old epoch after a new one took office")
            let lateDecisions = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM requests WHERE epoch_decided = 1 AND decided_at > ?",
                arguments: [epoch2]) ?? 0
            XCTAssertEqual(lateDecisions, 0)
            let paused = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE peer_id = 3 AND kind = 'sick'") ?? 0
            XCTAssertEqual(paused, pausesTried, "every pause is in the history")
            let winner = try Int.fetchOne(db, sql: "SELECT winner_id FROM elections WHERE epoch = 2")
            XCTAssertNotEqual(winner, 3)
        }
        try assertDecidedExactlyOnce(db, runID: 1, expected: 2000)
    }

    func test_unknownScenario_oneLineError() throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "no_such_thing", "--db", path], deadline: 20)
        XCTAssertNotEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stderr.contains("unknown scenario 'no_such_thing'"), outcome.stderr)
        XCTAssertFalse(outcome.stderr.contains("Fatal error"), outcome.stderr)
    }
}
