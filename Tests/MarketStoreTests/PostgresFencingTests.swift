import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// The epoch fence on PostgreSQL: the leader row's lock, and the timeouts that keep a trader
/// stopped in the middle of a transaction from holding it for ever.
final class PostgresFencingTests: XCTestCase {
    /// A fresh database on the test process's private server, and the server.
    private func freshDatabase(_ name: String) throws -> (PrivatePostgres, String) {
        let server = try privatePostgres()
        return (server, try server.createDatabase(name))
    }

    private func startedRun(_ url: String) throws -> (MarketDatabase, Int64) {
        let database = try MarketDatabase.open(url: url)
        let run = try database.beginRun(scenario: "fence", peerCount: 4, seed: 1, peers: [])
        let claim = ElectionClaim(epoch: 1, leader: 3, initiator: 0, reason: .startup)
        XCTAssertEqual(try database.store(runID: run).claimEpoch(claim), .claimed(claim))
        return (database, run)
    }

    /// The leader row locked as a trader's fenced write locks it, by a transaction of `database`
    /// that stays open until `release` is signalled; `locked` carries its server process id.
    private func holdLeaderRow(
        _ database: MarketDatabase, run: Int64, keepAlive: Bool, locked: ResultBox<Int64>, lockedSignal: DispatchSemaphore,
        release: DispatchSemaphore, outcome: ResultBox<Void>, finished: DispatchSemaphore
    ) {
        DispatchQueue.global().async {
            outcome.set(Result {
                try database.write { session in
                    // Only where the idle timeout is not what is being shown: this holder may sit
                    // idle longer than it on a loaded machine.
                    if keepAlive { try session.execute(sql: "SET LOCAL idle_in_transaction_session_timeout = 0") }
                    _ = try Int.fetchOne(session, sql: "SELECT epoch FROM leader WHERE run_id = ? FOR UPDATE", arguments: [run])
                    locked.set(Result { try Int64.fetchOne(session, sql: "SELECT pg_backend_pid()") ?? 0 })
                    lockedSignal.signal()
                    release.wait()
                    try session.execute(sql: "UPDATE leader SET leader_id = 3, updated_at = 'held' WHERE run_id = ?", arguments: [run])
                }
            })
            finished.signal()
        }
    }

    /// A claim waits for the leader row no longer than its lock timeout, then is `.busy`.
    func testAClaimWaitsForTheLeaderRowNoLongerThanItsLockTimeout() throws {
        let (_, url) = try freshDatabase("lock_timeout")
        let (holder, run) = try startedRun(url)
        let pid = ResultBox<Int64>()
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let held = ResultBox<Void>()
        let finished = DispatchSemaphore(value: 0)
        holdLeaderRow(holder, run: run, keepAlive: true, locked: pid, lockedSignal: locked, release: release,
                      outcome: held, finished: finished)
        var joined = false
        defer {
            // However the test ends, the holder's transaction ends with it.
            release.signal()
            if !joined { _ = finished.wait(timeout: .now() + 60) }
        }
        XCTAssertEqual(locked.wait(timeout: .now() + 60), .success, "the holder never got the leader row")

        let impatient = try MarketDatabase.open(url: url, busyTimeout: 0.2).store(runID: run)
        let claim = ElectionClaim(epoch: 2, leader: 2, initiator: 0, reason: .heartbeatTimeout)
        // On a thread of its own: without a lock timeout it would wait as long as the holder.
        let answer = ResultBox<StoreResult>()
        let answered = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            answer.set(Result { try impatient.claimEpoch(claim) })
            answered.signal()
        }
        guard answered.wait(timeout: .now() + 30) == .success else {
            return XCTFail("the claim still waits for the leader row after 30 s: no lock timeout")
        }
        switch answer.value {
        case .failure(let error as StoreError):
            guard case .busy = error else { return XCTFail("\(error)") }
        case let other: XCTFail("the claim got past a held leader row: \(String(describing: other))")
        }
        release.signal()
        XCTAssertEqual(finished.wait(timeout: .now() + 60), .success)
        joined = true
        if case .failure(let error) = held.value { XCTFail("the holder's transaction failed: \(error)") }
        XCTAssertEqual(try holder.store(runID: run).claimEpoch(claim), .claimed(claim), "once released, the claim goes through")
    }

    /// A trader whose transaction went idle holding the leader row (stopped, as by SIGSTOP) is
    /// cut off by the server after `idle_in_transaction_session_timeout`: the next trader's claim,
    /// patient enough, goes through; the stopped one's transaction commits nothing, and its next
    /// call learns it was deposed.
    func testATraderStoppedMidTransactionLosesTheLeaderRow() throws {
        let (server, url) = try freshDatabase("idle_timeout")
        let (stopped, run) = try startedRun(url)
        let pid = ResultBox<Int64>()
        let locked = DispatchSemaphore(value: 0)
        let resume = DispatchSemaphore(value: 0)
        let outcome = ResultBox<Void>()
        let finished = DispatchSemaphore(value: 0)
        holdLeaderRow(stopped, run: run, keepAlive: false, locked: pid, lockedSignal: locked, release: resume,
                      outcome: outcome, finished: finished)
        var joined = false
        defer {
            resume.signal()
            if !joined { _ = finished.wait(timeout: .now() + 60) }
        }
        XCTAssertEqual(locked.wait(timeout: .now() + 60), .success, "the stopped trader never got the leader row")
        let stoppedPID = try XCTUnwrap(try pid.value?.get())

        // Patient far beyond the idle timeout (2 s): only the server ending the stopped session
        // lets this claim through before its own lock timeout.
        let next = try MarketDatabase.open(url: url, busyTimeout: 30).store(runID: run)
        let claim = ElectionClaim(epoch: 2, leader: 2, initiator: 0, reason: .heartbeatTimeout)
        let start = ContinuousClock.now
        XCTAssertEqual(try next.claimEpoch(claim), .claimed(claim))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(25), "released by the idle timeout, not by the claim's patience")
        // The server ended the stopped trader's session: its process leaves pg_stat_activity.
        let database = try XCTUnwrap(url.components(separatedBy: "@/").last?.components(separatedBy: "?").first)
        try waitUntil("the stopped trader's server process (\(stoppedPID)) is gone", deadline: .seconds(30)) {
            try server.psql(database: database, "SELECT count(*) FROM pg_stat_activity WHERE pid = \(stoppedPID);")
                .trimmingCharacters(in: .whitespacesAndNewlines) == "0"
        }

        resume.signal()
        guard finished.wait(timeout: .now() + 60) == .success else {
            return XCTFail("the stopped trader, resumed, is still waiting after 60 s")
        }
        joined = true
        if case .success = outcome.value { XCTFail("the stopped trader's transaction committed after its session was ended") }
        XCTAssertEqual(try server.psql(database: database, "SELECT leader_id, epoch FROM leader WHERE run_id = \(run);"), "2|2\n",
                       "nothing of the stopped trader's transaction landed")
        // Its next call reconnects and learns it was deposed.
        let late = stopped.store(runID: run)
        XCTAssertEqual(try late.enqueue(BuyRequest(id: RequestID(buyer: 0, seq: 0), product: .salt, quantity: 1, lamport: 1), epoch: 1),
                       .deposed(current: 2))
    }

    /// Checks `condition` until it holds; fails, naming `what`, once `deadline` has passed.
    private func waitUntil(_ what: String, deadline: Duration, _ condition: () throws -> Bool) throws {
        let end = ContinuousClock.now + deadline
        while try !condition() {
            guard ContinuousClock.now < end else { return XCTFail("waited \(deadline) for: \(what)") }
            // Each check is a psql process: a round of those is the pace, no sleep is needed.
        }
    }
}
