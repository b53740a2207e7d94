import Foundation
import GRDB
import MarketTestKit
import XCTest

/// The supervisor's own limits, each tried for real: the run's time limit, a peer that keeps
/// dying as soon as it starts, and a second Ctrl-C while a peer cannot leave.
extension EndToEndTests {
    func test_theTimeLimit_failsTheRunSayingHowFarItGot() throws {
        let path = try temporaryDatabasePath()
        let scenario = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("slow.json")
        try Data("""
            {"base": "lab", "requests": 100000, "sick_rate": 0, "seed": 4, "time_limit_s": 1}
            """.utf8).write(to: scenario)
        let outcome = try market(["run", "--scenario", scenario.path, "--db", path], deadline: 60)
        XCTAssertEqual(outcome.status, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("time limit of 1.0 seconds reached with"), outcome.stderr)
        try readOnly(path).read { db in
            let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT status, stopping_at, finished_at FROM runs"))
            XCTAssertEqual(row["status"] as String?, "failed")
            XCTAssertNotNil(row["stopping_at"] as String?)
            XCTAssertNotNil(row["finished_at"] as String?)
        }
        let check = try market(["check", "--db", path], deadline: 60)
        XCTAssertEqual(check.status, 0, check.stdout)
    }

    /// Every process started for P0 is killed as soon as it shows up: after five quick exits in
    /// a row the supervisor gives up on it, and the run fails with the reason.
    func test_aPeerThatKeepsDyingAsItStarts_isGivenUpOn() throws {
        let path = try temporaryDatabasePath()
        let scenario = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("dying.json")
        try Data("""
            {"base": "lab", "requests": 100000, "sick_rate": 0, "seed": 4, "recover_after_ms": 20, "time_limit_s": 120}
            """.utf8).write(to: scenario)
        let running = try ChildRun.Running(try Self.marketBinary(), ["run", "--scenario", scenario.path, "--db", path])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        var killed: Set<Int32> = []
        let deadline = Date().addingTimeInterval(60)
        while running.process.isRunning, Date() < deadline {
            if let db = try? readOnly(path),
               let pid = try? db.read({ db in try Int32.fetchOne(db, sql: "SELECT pid FROM peers WHERE peer_id = 0") }),
               !killed.contains(pid), kill(pid, SIGKILL) == 0 {
                killed.insert(pid)
            }
            usleep(2_000)
        }
        let run = running.finish(deadline: 30)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertTrue(run.errors.contains("P0 exited 5 times in a row within 2 s of starting; giving up"), run.errors)
        XCTAssertGreaterThanOrEqual(killed.count, 5)
        try readOnly(path).read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT status FROM runs"), "failed")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE peer_id = 0 AND kind = 'crash'"),
                           killed.count, "every kill is a recorded crash")
        }
    }

    /// The database moved away mid-run: the peer restarted after a crash finds none, creates
    /// none at the old path, and cannot start; the run fails at once, saying why.
    func test_aPeerThatCannotStart_failsTheRun_andCreatesNoDatabase() throws {
        let path = try temporaryDatabasePath()
        let moved = path + ".moved"
        let scenario = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("moving.json")
        try Data("""
            {"base": "lab", "requests": 100000, "sick_rate": 0, "seed": 4, "recover_after_ms": 300, "time_limit_s": 120}
            """.utf8).write(to: scenario)
        let running = try ChildRun.Running(try Self.marketBinary(), ["run", "--scenario", scenario.path, "--db", path])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        _ = try waitFor(path, "the first trade") { db -> Int? in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM trades").flatMap { $0 > 0 ? $0 : nil }
        }
        let p0 = try XCTUnwrap(try livePIDs(path).first { $0.0 == 0 }?.1)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.moveItem(atPath: path + suffix, toPath: moved + suffix)
        }
        XCTAssertEqual(kill(p0, SIGKILL), 0)
        let run = running.finish(deadline: 60)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertEqual(run.status, 1, run.errors)
        XCTAssertTrue(run.errors.contains("P0 could not start"), run.errors)
        XCTAssertTrue(run.errors.contains("no database at"), run.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "a peer created a database at the old path")
        XCTAssertEqual(try readOnly(moved).read { db in try String.fetchOne(db, sql: "SELECT status FROM runs") }, "failed")
    }

    /// A peer stopped from outside cannot leave when told; a second Ctrl-C does not wait for it.
    func test_aSecondInterrupt_killsEveryPeerAtOnce() throws {
        let path = try temporaryDatabasePath()
        let running = try ChildRun.Running(try Self.marketBinary(), [
            "run", "--scenario", "lab", "--requests", "100000", "--sick-rate", "0", "--seed", "6", "--db", path,
        ])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        _ = try waitFor(path, "the first trade") { db -> Int? in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM trades").flatMap { $0 > 0 ? $0 : nil }
        }
        let peers = try livePIDs(path).map(\.1)
        let paused = try XCTUnwrap(peers.first)
        XCTAssertEqual(kill(paused, SIGSTOP), 0)
        defer { kill(paused, SIGKILL) }
        kill(running.process.processIdentifier, SIGINT)
        _ = try waitFor(path, "the run's end noted") { db -> String? in
            try String.fetchOne(db, sql: "SELECT stopping_at FROM runs")
        }
        kill(running.process.processIdentifier, SIGINT)
        let run = running.finish(deadline: 30)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertEqual(run.status, 128 + SIGINT, run.errors)
        XCTAssertTrue(run.errors.contains("interrupted again; killing every peer now"), run.errors)
        for pid in peers {
            var status: Int32 = 0
            XCTAssertTrue(kill(pid, 0) != 0 || waitpid(pid, &status, WNOHANG) == pid, "peer \(pid) outlived its run")
        }
        XCTAssertEqual(try readOnly(path).read { db in try String.fetchOne(db, sql: "SELECT status FROM runs") },
                       "interrupted")
    }
}
