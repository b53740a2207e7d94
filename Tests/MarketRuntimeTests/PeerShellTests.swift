import Foundation
import GRDB
import Logging
import MarketCore
@testable import MarketRuntime
import MarketStore
import MarketTestKit
import NIOCore
import NIOEmbedded
import XCTest

/// The shell around the core, on an embedded loop whose time only the test moves: store
/// requests wait for the end of the turn, a locked database is tried again on the loop, and
/// a loop that stood still past the scenario's freeze threshold holds its events.
final class PeerShellTests: XCTestCase {
    private final class Delegate: PeerShellDelegate {
        var resumed = 0
        var sick: [SickMode] = []
        var failures: [String] = []
        func shell(reportsSick mode: SickMode) { sick.append(mode) }
        func shell(standsAt standing: PeerStanding) {}
        func shellResumed() { resumed += 1 }
        func shell(failed why: String) { failures.append(why) }
        func shellMayGoOn() -> Bool { true }
    }

    private var loop: EmbeddedEventLoop!
    private var database: MarketDatabase!
    private var path = ""
    private var runID: Int64 = 0
    private let delegate = Delegate()

    /// A lone peer, which elects itself without a word to anyone.
    private func makeShell(heartbeat: Duration = .milliseconds(50)) throws -> PeerShell {
        path = try temporaryDatabasePath()
        database = try MarketDatabase.open(path: path, busyTimeout: 0.001)
        runID = try database.beginRun(scenario: "lone_peer", peerCount: 1, seed: 1,
                                      peers: [PeerSpec(id: 0, role: .seller, product: .salt)])
        loop = EmbeddedEventLoop()
        var config = PeerConfig(id: 0, peers: [0], role: .seller, product: .salt)
        config.timing.heartbeat = heartbeat
        let shell = PeerShell(loop: loop, config: config, incarnation: 0, database: database, runID: runID,
                              directory: RunDirectory(path: NSTemporaryDirectory()), logger: Logger(label: "test"), trace: false)
        shell.delegate = delegate
        return shell
    }

    private func storeEpoch(_ shell: PeerShell) throws -> Epoch {
        try shell.store.leaderRecord().epoch
    }

    override func tearDown() {
        try? loop?.syncShutdownGracefully()
    }

    func testStoreRequestsWaitForTheEndOfTheTurn() throws {
        let shell = try makeShell()
        shell.handle(.start)
        shell.handle(.command(.startElection))
        XCTAssertEqual(try storeEpoch(shell), 0, "the claim is performed at the end of the turn, not at once")
        loop.run()
        XCTAssertEqual(try storeEpoch(shell), 1)
        XCTAssertTrue(shell.peer.isTrader, "the claim's result and the takeover came back within the turn")
    }

    func testALockedDatabaseIsTriedAgainOnTheLoop() throws {
        let shell = try makeShell()
        // Another connection holds the write lock, on its own thread, until told to let go.
        let holder = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? holder.inTransaction(.immediate) { _ in
                locked.signal()
                release.wait()
                return .rollback
            }
            done.signal()
        }
        var released = false
        defer { if !released { release.signal() } }
        XCTAssertEqual(locked.wait(timeout: .now() + 30), .success, "the other connection never took the lock")
        shell.handle(.start)
        shell.handle(.command(.startElection))
        loop.run()
        XCTAssertEqual(try storeEpoch(shell), 0, "the claim could not be written under another's lock")
        XCTAssertFalse(shell.peer.isTrader)
        released = true
        release.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        loop.run()
        XCTAssertFalse(shell.peer.isTrader, "nothing is tried again before the retry's delay")
        loop.advanceTime(by: .milliseconds(5))
        XCTAssertEqual(try storeEpoch(shell), 1)
        XCTAssertTrue(shell.peer.isTrader)
        XCTAssertEqual(delegate.failures, [])
    }

    /// A sick peer has no timers: nothing makes a turn until the test's command, which finds
    /// the loop stood still for 100 ms.
    private func recoverAfterStandingStill(heartbeat: Duration) throws -> PeerShell {
        let shell = try makeShell(heartbeat: heartbeat)
        shell.handle(.start)
        shell.handle(.command(.fallSick(.silent)))
        loop.run()
        XCTAssertEqual(delegate.sick, [.silent])
        loop.advanceTime(by: .milliseconds(100))
        shell.handle(.command(.recover))
        loop.run()
        return shell
    }

    func testAFrozenLoopHoldsItsEventsUntilTheSupervisorSeesIt() throws {
        // Five heartbeats of 10 ms: 100 ms is a freeze.
        let shell = try recoverAfterStandingStill(heartbeat: .milliseconds(10))
        XCTAssertEqual(delegate.resumed, 1)
        XCTAssertFalse(shell.peer.isUp, "the recovery waits while the loop is held")
        shell.proceed()
        loop.run()
        XCTAssertTrue(shell.peer.isUp)
    }

    func testTheFreezeThresholdIsTheScenariosTiming() throws {
        // Five heartbeats of 100 ms: 100 ms is no freeze.
        let shell = try recoverAfterStandingStill(heartbeat: .milliseconds(100))
        XCTAssertEqual(delegate.resumed, 0)
        XCTAssertTrue(shell.peer.isUp)
    }
}
