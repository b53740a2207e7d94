import Foundation
import GRDB
import MarketCore
import MarketStore
import MarketTestKit
import XCTest

/// How a run ends, tried where it used to lie: a lock held from outside as the run ends,
/// signals and `kill -9` of the supervisor at seeded moments. Each run's history must be true
/// afterwards: its status and times, every ledger of a completed run, and `market check`.
extension EndToEndTests {
    /// Another connection holds the write lock just as the last request is decided and
    /// delivered, longer than the supervisor used to wait for the peers' ledgers (5 s); and a
    /// peer dies meanwhile, while the run stops: it is a recorded crash, started again to
    /// write its ledger from the books the store keeps.
    func test_aLockHeldAsTheRunEnds_isWaitedOut_andEveryLedgerIsWritten() throws {
        for attempt in 1...3 {
            let path = try temporaryDatabasePath()
            let running = try ChildRun.Running(try Self.marketBinary(), [
                "run", "--scenario", "lab", "--requests", "100", "--sick-rate", "0", "--seed", "5", "--db", path,
            ])
            defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
            let watcher = try waitForFile(path)
            // Poll one connection often: the lock must be taken before the supervisor sees the
            // run done (it looks every 100 ms).
            let deadline = Date().addingTimeInterval(60)
            var settled = false
            while Date() < deadline, running.process.isRunning, !settled {
                settled = (try? watcher.read { db in
                    try Bool.fetchOne(db, sql: """
                        SELECT (SELECT count(*) FROM requests WHERE status != 'pending') = 300
                           AND (SELECT count(*) FROM outbox WHERE delivered = 0) = 0
                        """)
                }) == true
                if !settled { usleep(1_000) }
            }
            XCTAssertTrue(settled, "every request decided and delivered")
            let lock = try DatabaseQueue(path: path)
            var ledgersBefore = 0
            var released = Date()
            try lock.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                ledgersBefore = try Int.fetchOne(db, sql: "SELECT count(*) FROM peers WHERE cash_cents IS NOT NULL") ?? 0
                if ledgersBefore == 0 {
                    let p1 = try Int32.fetchOne(db, sql: "SELECT pid FROM peers WHERE peer_id = 1")
                    usleep(2_000_000)
                    if let p1 { kill(p1, SIGKILL) }
                    usleep(5_000_000)
                }
                released = Date()
                try db.execute(sql: "COMMIT")
            }
            let run = running.finish(deadline: 120)
            guard ledgersBefore == 0 else {
                // The run ended before the lock was taken: nothing was tried; try again.
                print("attempt \(attempt): the run wrote its ledgers before the lock was taken")
                continue
            }
            XCTAssertFalse(run.timedOut)
            XCTAssertEqual(run.status, 0, "\(run.output)\n\(run.errors.suffix(2000))")
            let db = try readOnly(path)
            try db.read { db in
                let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT status, finished_at FROM runs WHERE run_id = 1"))
                XCTAssertEqual(row["status"] as String?, "completed")
                let finished: String = try XCTUnwrap(row["finished_at"])
                XCTAssertGreaterThanOrEqual(finished, Timestamp.format(released.addingTimeInterval(-0.001)),
                                            "the run ended after the lock was released")
                XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM peers WHERE cash_cents IS NULL"), 0,
                               "every peer wrote its ledger")
                XCTAssertEqual(try String.fetchAll(db, sql: "SELECT kind FROM faults WHERE peer_id = 1 ORDER BY fault_id"),
                               ["crash", "recover"], "P1's death while the run stopped")
            }
            XCTAssertTrue(run.errors.contains("P1 exited while stopping"), run.errors)
            XCTAssertTrue(run.errors.contains("market run: waiting "),
                          "the supervisor said what it waits for:\n\(run.output)\n\(run.errors.suffix(2000))")
            let check = try market(["check", "--db", path], deadline: 60)
            XCTAssertEqual(check.status, 0, check.stdout)
            return
        }
        XCTFail("in three tries the run always ended before the lock could be taken")
    }

    /// Ctrl-C, SIGTERM and SIGHUP at seeded moments of a run with a live trader: the run is
    /// interrupted with the signal's exit code, its end recorded before any peer heard of it,
    /// and no election the stopping set off is held against it.
    func test_signalsAtSeededMoments_endInterruptedRunsThatCheck() throws {
        var random = SplitMix64(seed: 13)
        for (round, signal) in [SIGINT, SIGTERM, SIGHUP, SIGINT, SIGINT].enumerated() {
            let path = try temporaryDatabasePath()
            let running = try ChildRun.Running(try Self.marketBinary(), [
                "run", "--scenario", "test_case1", "--requests", "300", "--sick-rate", "0.01", "--seed", "\(round)",
                "--db", path,
            ])
            defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
            _ = try waitFor(path, within: 60, "the first request") { db -> Int? in
                let requests = try Int.fetchOne(db, sql: "SELECT count(*) FROM requests") ?? 0
                return requests > 0 ? requests : nil
            }
            usleep(UInt32(random.next() % 1_200_000))
            kill(running.process.processIdentifier, signal)
            let run = running.finish(deadline: 30)
            XCTAssertFalse(run.timedOut, "round \(round)")
            guard run.status != 0 else { continue }  // it happened to finish first: nothing to interrupt
            XCTAssertEqual(run.status, 128 + signal, "round \(round): \(run.errors.suffix(1000))")
            let db = try readOnly(path)
            try db.read { db in
                let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT status, stopping_at, finished_at FROM runs"))
                XCTAssertEqual(row["status"] as String?, "interrupted", "round \(round)")
                let stopping: String? = row["stopping_at"]
                let finished: String? = row["finished_at"]
                XCTAssertNotNil(stopping, "round \(round): when the run began to end")
                XCTAssertLessThanOrEqual(stopping ?? "~", finished ?? "", "round \(round)")
            }
            let check = try market(["check", "--db", path], deadline: 60)
            XCTAssertEqual(check.status, 0, "round \(round):\n\(check.stdout)")
        }
    }

    /// `kill -9` of the supervisor at seeded moments: as it starts, mid-run, and late. The peers
    /// take no further part (the first to see it records the end), the next run marks it
    /// interrupted as of its last moment, and its history checks.
    func test_aSupervisorKilledAtSeededMoments_leavesAHistoryThatChecks() throws {
        var random = SplitMix64(seed: 21)
        for (round, moment) in ["start", "mid", "late"].enumerated() {
            let path = try temporaryDatabasePath()
            let requests = moment == "late" ? 400 : 5000
            let supervisor = try ChildRun.Running(try Self.marketBinary(), [
                "run", "--scenario", "lab", "--requests", "\(requests)", "--sick-rate", "0", "--seed", "\(round)",
                "--db", path,
            ])
            defer { if supervisor.process.isRunning { kill(supervisor.process.processIdentifier, SIGKILL) } }
            switch moment {
            case "start":
                _ = try waitFor(path, within: 30, "the run's row") { db -> Int? in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM runs").flatMap { $0 > 0 ? $0 : nil }
                }
                usleep(UInt32(random.next() % 150_000))
            case "mid":
                _ = try waitFor(path, within: 60, "the first trade") { db -> Int? in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM trades").flatMap { $0 > 0 ? $0 : nil }
                }
                usleep(UInt32(random.next() % 1_000_000))
            default:
                _ = try waitFor(path, within: 60, "most requests decided") { db -> Int? in
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM requests WHERE status != 'pending'")
                        .flatMap { $0 >= requests * 3 - 20 ? $0 : nil }
                }
            }
            let peers = (try? livePIDs(path).map(\.1)) ?? []
            kill(supervisor.process.processIdentifier, SIGKILL)
            _ = supervisor.finish(deadline: 10)
            let gone = Date().addingTimeInterval(10)
            while Date() < gone, peers.contains(where: { kill($0, 0) == 0 }) { usleep(10_000) }
            XCTAssertFalse(peers.contains { kill($0, 0) == 0 }, "round \(round): every peer left")
            let allGone = Timestamp.format(Date().addingTimeInterval(0.001))

            let next = try market(["run", "--scenario", "lone_peer", "--sick-rate", "0", "--db", path], deadline: 30)
            XCTAssertEqual(next.status, 0, next.stderr)
            try readOnly(path).read { db in
                let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT status, finished_at FROM runs WHERE run_id = 1"))
                XCTAssertEqual(row["status"] as String?, "interrupted", "round \(round)")
                let finished: String = try XCTUnwrap(row["finished_at"])
                XCTAssertLessThanOrEqual(finished, allGone, "round \(round): it ended when its peers did, not when noticed")
            }
            let check = try market(["check", "--db", path, "--run", "1"], deadline: 60)
            XCTAssertEqual(check.status, 0, "round \(round) (\(moment)):\n\(check.stdout)")
        }
    }

    /// A read connection to a database that a child is about to create.
    func waitForFile(_ path: String) throws -> DatabaseQueue {
        _ = try waitFor(path, "the database") { db -> Int? in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM runs").flatMap { $0 > 0 ? $0 : nil }
        }
        return try readOnly(path)
    }
}

/// A run that fails because its disk is full cannot even record that it failed; once the disk
/// has room, the next run on the database records it as `failed` (not `interrupted`, as an
/// abandoned run would be).
extension EndToEndTests {
    func test_aRunThatFailedOnAFullDisk_isMarkedFailedOnceThereIsRoom() throws {
        let directory = try TemporaryDirectory()
        let mountPoint = directory.path("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard try Self.system(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", mountPoint]) == 0 else {
            throw XCTSkip("cannot mount a small tmpfs here (not root?): the full-disk end is not tested")
        }
        defer { _ = try? Self.system(["umount", "-l", mountPoint]) }
        let path = mountPoint + "/market.db"

        let full = try market(["run", "--scenario", "lab", "--requests", "3000", "--sick-rate", "0", "--seed", "3",
                               "--db", path], deadline: 60)
        XCTAssertNotEqual(full.status, 0)
        XCTAssertTrue(full.stderr.contains("disk is full"), full.stderr)
        // Whether the failure itself still fits depends on where SQLite's WAL stood; either
        // way the database must end up saying `failed`.
        let unrecorded = full.stderr.contains("until the next market run on it records it")
        print("the full disk \(unrecorded ? "did not take" : "still took") the run's end")
        XCTAssertEqual(try readOnly(path).read { db in try String.fetchOne(db, sql: "SELECT status FROM runs WHERE run_id = 1") },
                       unrecorded ? "running" : "failed")

        XCTAssertEqual(try Self.system(["mount", "-o", "remount,size=64m", mountPoint]), 0)
        let next = try market(["run", "--scenario", "lone_peer", "--sick-rate", "0", "--db", path], deadline: 30)
        XCTAssertEqual(next.status, 0, next.stderr)
        try readOnly(path).read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT status FROM runs WHERE run_id = 1"), "failed")
            XCTAssertNotNil(try String.fetchOne(db, sql: "SELECT finished_at FROM runs WHERE run_id = 1"))
        }
    }

    /// Runs a command to its end; its exit status.
    static func system(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
