import Foundation
import GRDB
import MarketCore
import MarketStore
@testable import MarketRuntime
import NIOCore
import MarketTestKit
import XCTest

/// Real processes under fire: SIGKILL and SIGSTOP/SIGCONT of random peers (traders
/// included), forged and malformed frames on their sockets, and the database locked from
/// outside for longer than the busy timeout. Every run must complete, pass `market check`
/// with no false alarm, keep `integrity_check` ok and decide every request exactly once.
/// Bounded: each round has a wall-clock limit, and the faults stop well before it.
extension EndToEndTests {
    struct ChaosTally: CustomStringConvertible {
        var kills = 0
        var pauses = 0
        var forged = 0
        var malformed = 0
        var locks = 0
        var checkpoints = 0
        /// Frames the peers themselves counted as refused (their last log lines).
        var refused = 0

        var description: String {
            "\(kills) SIGKILLs, \(pauses) SIGSTOP/SIGCONT pauses, \(forged) forged and \(malformed) malformed frames "
                + "(\(refused) refused by the peers), \(locks) outside locks, \(checkpoints) outside checkpoints"
        }
    }

    /// What a round adds to the peers' faults.
    struct ChaosRound {
        var seed: UInt64
        /// The write lock taken from outside during the chaos, longer than the busy timeout.
        var lockDuringChaos = false
        /// The supervisor itself stopped (SIGSTOP) for 10 s, then continued.
        var pauseTheSupervisor = false
        /// Another process checkpoints (TRUNCATE) and closes its connection, again and again.
        var checkpointInALoop = false
        /// The write lock taken from outside as the last request is decided, for 7 s.
        var lockAsTheRunEnds = false
        /// `market run … 2>&1 | head -1`: every line after the first goes to a closed pipe.
        var pipeIntoHead = false
    }

    func test_chaos_everyRunCompletesAndChecks() throws {
        let rounds = [
            ChaosRound(seed: 100, lockDuringChaos: true, pauseTheSupervisor: true),
            ChaosRound(seed: 101, checkpointInALoop: true, lockAsTheRunEnds: true, pipeIntoHead: true),
        ]
        let count = Int(ProcessInfo.processInfo.environment["MARKET_CHAOS_ROUNDS"] ?? "") ?? rounds.count
        for index in 0..<count {
            var round = rounds[index % rounds.count]
            round.seed += UInt64(index / rounds.count * rounds.count)
            try chaosRound(round)
        }
    }

    /// The supervisor killed in the middle of the chaos: no peer goes on deciding for long, the
    /// next run marks the run interrupted as of its last moment, and the history checks.
    func test_chaos_theSupervisorKilledMidRun_leavesAHistoryThatChecks() throws {
        let path = try temporaryDatabasePath()
        let running = try ChildRun.Running(try Self.marketBinary(), ["run", "--scenario", try chaosScenario(path, seed: 102),
                                                                     "--db", path])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        var random = SplitMix64(seed: 102)
        var tally = ChaosTally()
        let directory = try waitForRunDirectory(path)
        try chaos(path, directory: directory, for: 5, random: &random, tally: &tally, while: { running.process.isRunning })
        let peers = try livePIDs(path).map(\.1)
        kill(running.process.processIdentifier, SIGKILL)
        _ = running.finish(deadline: 10)
        let gone = Date().addingTimeInterval(15)
        while Date() < gone, peers.contains(where: { kill($0, 0) == 0 }) { usleep(10_000) }
        XCTAssertFalse(peers.contains { kill($0, 0) == 0 }, "every peer left with its supervisor")
        print("chaos, supervisor killed: \(tally)")
        XCTAssertGreaterThan(tally.kills + tally.pauses + tally.forged + tally.malformed, 0)

        let next = try market(["run", "--scenario", "lone_peer", "--sick-rate", "0", "--db", path], deadline: 30)
        XCTAssertEqual(next.status, 0, next.stderr)
        try readOnly(path).read { db in
            let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT status, stopping_at, finished_at FROM runs WHERE run_id = 1"))
            XCTAssertEqual(row["status"] as String?, "interrupted")
            XCTAssertNotNil(row["stopping_at"] as String?, "the first peer to see its supervisor gone said so")
            XCTAssertGreaterThanOrEqual(row["finished_at"] as String? ?? "", row["stopping_at"] as String? ?? "~")
        }
        let check = try market(["check", "--db", path, "--run", "1"], deadline: 60)
        XCTAssertEqual(check.status, 0, check.stdout)
    }

    func chaosScenario(_ path: String, seed: UInt64) throws -> String {
        let scenario = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("chaos.json")
        try Data("""
            {"name": "chaos", "peers": [
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"},
               {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "boar"},
               {"role": "buyer", "product": "boar"}, {"role": "seller", "product": "salt"}],
             "requests": 1000, "sick_rate": 0, "recover_after_ms": 150, "seed": \(seed), "time_limit_s": 110}
            """.utf8).write(to: scenario)
        return scenario.path
    }

    func chaosRound(_ round: ChaosRound) throws {
        let seed = round.seed
        let path = try temporaryDatabasePath()
        let arguments = ["run", "--scenario", try chaosScenario(path, seed: seed), "--db", path, "--keep-logs"]
        let running = round.pipeIntoHead
            ? try ChildRun.Running(URL(fileURLWithPath: "/bin/sh"),
                                   ["-c", "\"$0\" \"$@\" 2>&1 | head -1", try Self.marketBinary().path] + arguments)
            : try ChildRun.Running(try Self.marketBinary(), arguments)
        let process = running.process
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        var random = SplitMix64(seed: seed)
        var tally = ChaosTally()
        let directory = try waitForRunDirectory(path)
        let supervisor = try XCTUnwrap(try readOnly(path).read { db in
            try Int32.fetchOne(db, sql: "SELECT supervisor_pid FROM runs WHERE run_id = 1")
        })
        let outside = DispatchGroup()
        let lockHeld = ResultBox<Void>()
        let stopOutside = StopFlag()
        defer { stopOutside.set() }
        if round.lockDuringChaos {
            tally.locks += 1
            let seconds = Self.busyTimeout + 1
            DispatchQueue.global().async(group: outside) { lockHeld.set(Result { try Self.holdExclusiveLock(path, seconds: seconds) }) }
        }
        let checkpoints = ResultBox<Int>()
        if round.checkpointInALoop {
            DispatchQueue.global().async(group: outside) {
                checkpoints.set(Result { try Self.checkpointInALoop(path, until: stopOutside) })
            }
        }
        let endLock = ResultBox<Bool>()
        if round.lockAsTheRunEnds {
            // Watched from the start: the run may settle while the chaos still goes on.
            tally.locks += 1
            DispatchQueue.global().async(group: outside) {
                endLock.set(Result { try Self.lockAsTheRunEnds(path, requests: 3000, while: { running.process.isRunning }) })
            }
        }
        if round.pauseTheSupervisor {
            XCTAssertEqual(kill(supervisor, SIGSTOP), 0)
            tally.pauses += 1
        }
        try chaos(path, directory: directory, for: 15, random: &random, tally: &tally, while: { process.isRunning })
        if round.pauseTheSupervisor { kill(supervisor, SIGCONT) }
        let run = running.finish(deadline: 150)
        stopOutside.set()
        outside.wait()
        if round.lockDuringChaos, case .failure(let error) = lockHeld.value ?? .failure(CocoaError(.userCancelled)) {
            XCTFail("round \(seed): the outside lock was not held: \(error)")
        }
        if round.lockAsTheRunEnds {
            XCTAssertEqual(try XCTUnwrap(endLock.value).get(), true, "round \(seed): the lock was not taken before the run ended")
        }
        if round.checkpointInALoop {
            tally.checkpoints = try XCTUnwrap(checkpoints.value).get()
            XCTAssertGreaterThan(tally.checkpoints, 0, "round \(seed): no outside checkpoint happened")
        }
        tally.refused = refusedFrames(in: directory)
        let logEnds = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            .filter { $0.hasSuffix(".log") }
            .map { name in "\(name): " + (((try? String(contentsOfFile: "\(directory.path)/\(name)", encoding: .utf8)) ?? "")
                .split(separator: "\n").last.map(String.init) ?? "(empty)") }
        let restores = logLines(in: directory, containing: "restored:")
        directory.remove()
        XCTAssertFalse(run.timedOut, "round \(seed): the run did not end")
        print("chaos round \(seed): \(tally)")
        XCTAssertEqual(run.status, 0, "round \(seed): \(tally)\n\(run.output)\n\(run.errors.suffix(3000))")
        if round.pipeIntoHead {
            XCTAssertEqual(run.output.split(separator: "\n").count, 1, "round \(seed): head printed one line")
        }
        XCTAssertGreaterThanOrEqual(tally.kills, 1, "round \(seed): \(tally)")
        XCTAssertGreaterThanOrEqual(tally.pauses, 1, "round \(seed): \(tally)")
        XCTAssertGreaterThanOrEqual(tally.forged, 1, "round \(seed): \(tally)")
        XCTAssertGreaterThanOrEqual(tally.malformed, 1, "round \(seed): \(tally)")
        XCTAssertGreaterThan(tally.refused, 0, "round \(seed): the peers refused none of the bad frames: \(tally) "
            + "in \(directory.path):\n\(logEnds.joined(separator: "\n"))")

        let check = try market(["check", "--db", path], deadline: 60)
        XCTAssertEqual(check.status, 0, "round \(seed): market check\n\(check.stdout)")
        let db = try readOnly(path)
        try db.read { db in
            XCTAssertEqual(try String.fetchAll(db, sql: "PRAGMA integrity_check"), ["ok"])
            let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT status, finished_at FROM runs WHERE run_id = 1"))
            XCTAssertEqual(row["status"] as String?, "completed", "round \(seed)")
            XCTAssertNotNil(row["finished_at"] as String?, "round \(seed)")
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM peers WHERE cash_cents IS NULL"), 0,
                           "round \(seed): every ledger written")
        }
        try assertDecidedExactlyOnce(db, runID: 1, expected: 3000)
        if try db.read({ db in try Int.fetchOne(db, sql: "SELECT count(*) FROM requests") }) != 3000 {
            XCTFail("round \(seed): the buyers restored after their crashes:\n\(restores.joined(separator: "\n"))")
        }
    }

    /// The lines of every peer's log that contain `text`, each after its log's name.
    func logLines(in directory: RunDirectory, containing text: String) -> [String] {
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted().filter { $0.hasSuffix(".log") }
        return logs.flatMap { name in
            ((try? String(contentsOfFile: "\(directory.path)/\(name)", encoding: .utf8)) ?? "")
                .split(separator: "\n").filter { $0.contains(text) }.map { "\(name): \($0)" }
        }
    }

    /// Kills, pauses, forged and malformed frames at random peers, for `seconds`.
    func chaos(_ path: String, directory: RunDirectory, for seconds: TimeInterval, random: inout SplitMix64,
               tally: inout ChaosTally, while running: () -> Bool) throws {
        let chaosEnds = Date().addingTimeInterval(seconds)
        while Date() < chaosEnds, running() {
            let pids = try livePIDs(path)
            guard !pids.isEmpty else { break }
            let (peer, pid) = pids[Int(random.next() % UInt64(pids.count))]
            switch random.next() % 9 {
            case 0, 1:
                if kill(pid, SIGKILL) == 0 { tally.kills += 1 }
            case 2, 3:
                if kill(pid, SIGSTOP) == 0 {
                    tally.pauses += 1
                    usleep(UInt32(50_000 + random.next() % 400_000))
                    kill(pid, SIGCONT)
                }
            case 4, 5, 6:
                tally.forged += forgeFrames(to: peer, in: directory, peers: 6, random: &random)
            default:
                tally.malformed += sendMalformedFrames(to: peer, in: directory, random: &random)
            }
            usleep(UInt32(100_000 + random.next() % 200_000))
        }
    }

    /// The run's directory, once its first trade is in (the supervisor's pid is in `runs`).
    func waitForRunDirectory(_ path: String) throws -> RunDirectory {
        let supervisor = try waitFor(path, "the first trade") { db -> Int32? in
            let trades = try Int.fetchOne(db, sql: "SELECT count(*) FROM trades") ?? 0
            return trades > 0 ? try Int32.fetchOne(db, sql: "SELECT supervisor_pid FROM runs WHERE run_id = 1") : nil
        }
        return try runDirectory(of: supervisor)
    }

    /// Takes the write lock as soon as every request is decided and delivered, and holds it 7 s:
    /// longer than the supervisor used to wait for the peers' ledgers. False if the run ended first.
    static func lockAsTheRunEnds(_ path: String, requests: Int, while running: () -> Bool) throws -> Bool {
        var readOnly = Configuration()
        readOnly.readonly = true
        let watcher = try DatabaseQueue(path: path, configuration: readOnly)
        while running() {
            let settled = (try? watcher.read { db in
                try Bool.fetchOne(db, sql: """
                    SELECT (SELECT count(*) FROM requests WHERE status != 'pending') = \(requests)
                       AND (SELECT count(*) FROM outbox WHERE delivered = 0) = 0
                    """)
            }) == true
            if settled { break }
            usleep(1_000)
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        var taken = false
        try DatabaseQueue(path: path, configuration: config).writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            taken = try Int.fetchOne(db, sql: "SELECT count(*) FROM peers WHERE cash_cents IS NOT NULL") == 0
            if taken { usleep(7_000_000) }
            try db.execute(sql: "COMMIT")
        }
        return taken
    }

    /// Another process (the `sqlite3` shell) that checkpoints with TRUNCATE and closes, in a
    /// loop: if any process lost its locks on the file, this is what deletes the WAL under it.
    static func checkpointInALoop(_ path: String, until stop: StopFlag) throws -> Int {
        guard let shell = ChildRun.find(["sqlite3"]) else { throw XCTSkip("the sqlite3 shell is not installed") }
        var done = 0
        while !stop.isSet {
            let run = try ChildRun.run(shell, ["-cmd", ".timeout 100", path, "PRAGMA wal_checkpoint(TRUNCATE);"], deadline: 20)
            if run.status == 0 { done += 1 }
            usleep(20_000)
        }
        return done
    }

    /// The frames the peers refused, from the last line each one's log ends with.
    func refusedFrames(in directory: RunDirectory) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return 0 }
        var refused = 0
        for name in names where name.hasSuffix(".log") {
            let text = (try? String(contentsOfFile: "\(directory.path)/\(name)", encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.contains(" frames refused ") {
                guard let range = line.range(of: " frames refused ") else { continue }
                let before = line[..<range.lowerBound].split(separator: " ").last.flatMap { Int($0) } ?? 0
                refused += before
            }
        }
        return refused
    }

    /// The store's busy timeout: a lock held past it makes every waiting writer give up once.
    static var busyTimeout: Double { MarketDatabase.busyTimeout }

    /// The run directory of the supervisor with this pid.
    func runDirectory(of supervisor: pid_t) throws -> RunDirectory {
        let names = try FileManager.default.contentsOfDirectory(atPath: "/tmp")
        let name = try XCTUnwrap(names.first { $0.hasPrefix("market-\(supervisor)-") }, "no run directory")
        return RunDirectory(path: "/tmp/\(name)")
    }

    func livePIDs(_ path: String) throws -> [(PeerID, pid_t)] {
        try readOnly(path).read { db in
            try Row.fetchAll(db, sql: "SELECT peer_id, pid FROM peers WHERE run_id = 1 AND pid IS NOT NULL")
                .map { ($0["peer_id"], $0["pid"]) }
        }
    }

    /// Takes the write lock from outside and holds it; the run must wait, not fail, and its
    /// history must still be true.
    static func holdExclusiveLock(_ path: String, seconds: Double) throws {
        var config = Configuration()
        config.busyMode = .timeout(30)  // a peer may hold the lock for a commit: wait for it
        let queue = try DatabaseQueue(path: path, configuration: config)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            usleep(UInt32(seconds * 1_000_000))
            try db.execute(sql: "COMMIT")
        }
    }
}
