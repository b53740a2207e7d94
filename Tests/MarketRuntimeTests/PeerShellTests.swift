import Foundation
import GRDB
import MarketCore
@testable import MarketRuntime
import MarketStore
import MarketTestKit
import NIOCore
import XCTest

/// The shell around the core, on a loop and a store thread of its own: store requests wait
/// for the end of the turn, a locked database is tried again off the loop, and a loop that
/// stood still past the scenario's freeze threshold holds its events.
final class PeerShellTests: XCTestCase {
    private var path = ""

    /// A lone peer, which elects itself without a word to anyone.
    private func makeShell(heartbeat: Duration = .milliseconds(50)) throws -> ShellNode {
        path = try temporaryDatabasePath()
        let database = try MarketDatabase.open(path: path)
        let runID = try database.beginRun(scenario: "lone_peer", peerCount: 1, seed: 1,
                                          peers: [PeerSpec(id: 0, role: .seller, product: .salt)])
        var config = PeerConfig(id: 0, peers: [0], role: .seller, product: .salt)
        config.timing.heartbeat = heartbeat
        return try makeShellNode(config: config, databasePath: path, runID: runID, directory: makeRunDirectory())
    }

    private func isTrader(_ node: ShellNode) -> Watched<Bool> {
        node.watch(false) { $0.peer.isTrader }
    }

    func testStoreRequestsWaitForTheEndOfTheTurn() throws {
        let node = try makeShell()
        let trader = isTrader(node)
        let epochInTheTurn = try node.run { shell -> Epoch? in
            shell.handle(.start)
            shell.handle(.command(.startElection))
            return try? shell.store.leaderRecord().epoch
        }
        XCTAssertEqual(epochInTheTurn, 0, "the claim is handed to the store at the end of the turn, not at once")
        XCTAssertTrue(trader.wait { $0 }, "the claim's result and the takeover never came back")
        XCTAssertEqual(try node.run { try? $0.store.leaderRecord().epoch }, 1)
    }

    func testALockedDatabaseIsTriedAgainOffTheLoop() throws {
        let node = try makeShell()
        let trader = isTrader(node)
        // Another connection holds the write lock, on its own thread, until told to let go.
        let holder = try WriteLockHolder(path: path)
        try node.run { shell in
            shell.handle(.start)
            shell.handle(.command(.startElection))
        }
        XCTAssertTrue(node.lines.wait { $0.contains { $0.hasPrefix("the database is locked (") } },
                      "the store never found the database locked")
        // The loop goes on meanwhile: it answers at once, and the claim is still with the store thread.
        XCTAssertEqual(try node.run { $0.inFlight != nil }, true)
        XCTAssertFalse(trader.value, "the claim could not be written under another's lock")
        holder.letGo()
        XCTAssertTrue(trader.wait { $0 }, "the claim was never tried again")
        XCTAssertEqual(try node.run { try? $0.store.leaderRecord().epoch }, 1)
        XCTAssertTrue(node.lines.value.contains { $0.hasPrefix("the database took ") })
        XCTAssertEqual(node.failures.value, [])
    }

    /// A sick peer has no timers: nothing makes a turn until the test's command, 100 ms later
    /// by the loop's own clock, which finds the loop stood still that long.
    private func recoverAfterStandingStill(heartbeat: Duration) throws -> (ShellNode, Watched<Bool>) {
        let node = try makeShell(heartbeat: heartbeat)
        let up = node.watch(false) { $0.peer.isUp }
        let recovered = Watched(false)
        try node.run { shell in
            shell.handle(.start)
            shell.handle(.command(.fallSick(.silent)))
            shell.loop.assumeIsolated().scheduleTask(in: .milliseconds(100)) {
                shell.handle(.command(.recover))
                recovered.update { $0 = true }
            }
        }
        XCTAssertTrue(node.sick.wait { $0 == [.silent] })
        XCTAssertTrue(recovered.wait { $0 })
        return (node, up)
    }

    func testAFrozenLoopHoldsItsEventsUntilTheSupervisorSeesIt() throws {
        // Five heartbeats of 10 ms: 100 ms is a freeze.
        let (node, up) = try recoverAfterStandingStill(heartbeat: .milliseconds(10))
        XCTAssertEqual(node.resumed.value, 1)
        XCTAssertEqual(try node.run { $0.peer.isUp }, false, "the recovery waits while the loop is held")
        try node.run { $0.proceed() }
        XCTAssertTrue(up.wait { $0 })
    }

    func testTheFreezeThresholdIsTheScenariosTiming() throws {
        // Five heartbeats of 1 s: 100 ms is no freeze.
        let (node, _) = try recoverAfterStandingStill(heartbeat: .seconds(1))
        XCTAssertEqual(node.resumed.value, 0)
        XCTAssertEqual(try node.run { $0.peer.isUp }, true)
    }
}
