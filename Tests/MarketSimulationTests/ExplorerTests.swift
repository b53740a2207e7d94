import MarketCore
@testable import MarketSimulation
import XCTest

/// The explorer visits every state of a small market within its bounds, and has teeth: each
/// planted bug is found with a shortest path that replays.
final class ExplorerTests: XCTestCase {
    private func setup(peers: Int = 3, buyers: Int = 1, requests: Int = 1) -> ExplorationSetup {
        ExplorationSetup(scenario: ExplorationSetup.market(peers: peers, buyers: buyers, requests: requests))
    }

    private let noFaults = ExplorationBounds(crashes: 0)

    func testASmallMarketIsExploredCompletelyWithoutAViolation() {
        let result = Explorer(setup: setup(), bounds: noFaults).run()
        XCTAssertNil(result.counterexample.map { "\($0.violation)" })
        XCTAssertTrue(result.complete)
        // P0's election asks P2 first, and P1 only if P2 stays silent: fewer frames in flight
        // than Bully's whole round, so fewer interleavings, still some hundreds.
        XCTAssertGreaterThan(result.states, 200, "every interleaving of the election and the buy")
        XCTAssertGreaterThan(result.judgedTerminalStates, 0, "runs come to rest and are judged there")
        XCTAssertNotNil(result.tradePath, "some path completes a trade")
        XCTAssertEqual(result.coveredDepth, result.maxDepth)
    }

    func testAnOrderBookThatDoesNotWaitForStabilityIsFoundWithAShortestPath() throws {
        var planted = setup(buyers: 2)
        planted.stabilityRule = .immediate
        let result = Explorer(setup: planted, bounds: noFaults).run()
        let found = try XCTUnwrap(result.counterexample, "deciding without stability went unnoticed")
        XCTAssertEqual(found.violation.kind, .lamportOrder, "\(found.violation)")
        XCTAssertFalse(result.complete)
        // Shortest: the same market without the bug is clean to the same depth.
        var bounds = noFaults
        bounds.depth = found.path.actions.count
        let fixed = Explorer(setup: setup(buyers: 2), bounds: bounds).run()
        XCTAssertNil(fixed.counterexample.map { "\($0.violation)" })
        XCTAssertTrue(fixed.complete)
        // The path replays to the same violation, at its last step.
        let replay = try ExplorationReplay(setup: planted, bounds: noFaults, path: found.path.actions)
        XCTAssertEqual(replay.steps.last?.violations.first, found.violation)
        XCTAssertTrue(replay.steps.dropLast().allSatisfy(\.violations.isEmpty))
    }

    func testElectionsThatAskNoHigherPeerAreFoundAtRest() throws {
        var planted = setup()
        planted.scenario.electionRule = .claimAtOnce
        let result = Explorer(setup: planted, bounds: noFaults).run()
        let found = try XCTUnwrap(result.counterexample, "claiming at once went unnoticed")
        XCTAssertEqual(found.violation.kind, .bully, "\(found.violation)")
        let replay = try ExplorationReplay(setup: planted, bounds: noFaults, path: found.path.actions)
        XCTAssertEqual(replay.restViolations.first, found.violation, "at rest, where the path ends")
    }

    /// Two peers are enough: the trader is paused with a commit asked, the buyer times out
    /// and takes over, and the paused trader's commit lands when it resumes.
    func testAStoreThatDoesNotFenceIsFound() throws {
        var planted = setup(peers: 2)
        planted.fencing = false
        let bounds = ExplorationBounds(crashes: 0, pauses: 1)
        let result = Explorer(setup: planted, bounds: bounds).run()
        let found = try XCTUnwrap(result.counterexample, "an unfenced store went unnoticed")
        XCTAssertEqual(found.violation.kind, .fencing, "\(found.violation)")
        var fixedBounds = bounds
        fixedBounds.depth = found.path.actions.count
        let fixed = Explorer(setup: setup(peers: 2), bounds: fixedBounds).run()
        XCTAssertNil(fixed.counterexample.map { "\($0.violation)" })
    }

    /// Two peers, a pause and a lost message: P1 is paused while P0 takes over in epoch 2,
    /// and P0's COORDINATOR to P1 is lost when P1 resumes. At rest P0 trades below P1
    /// with P0-0 still pending, but only because heartbeats are bounded: P0's next heartbeat
    /// tells P1 of a lower trader, P1 holds its own election and decides P0-0. That is the
    /// bound's doing, not a violation, and the explorer says so.
    func testARestStateThatHeartbeatsPastTheBoundMendIsNotAViolation() throws {
        // Searched, not replayed: a path written out step by step stops replaying whenever the
        // core gains a store step (the lease did). A pause and a lost message are what it takes.
        let result = Explorer(setup: setup(peers: 2), bounds: ExplorationBounds(crashes: 0, pauses: 1, drops: 1)).run()
        XCTAssertTrue(result.complete)
        XCTAssertNil(result.counterexample, "heartbeats past the bound mend a lower trader and a request left pending")
        XCTAssertGreaterThan(result.mendedPastTheBound, 0, "some state at rest broke a property that heartbeats mend")
    }

    func testDepthFirstSearchFindsTheSameBug() throws {
        var planted = setup(buyers: 2)
        planted.stabilityRule = .immediate
        let breadth = try XCTUnwrap(Explorer(setup: planted, bounds: noFaults).run().counterexample)
        let depth = try XCTUnwrap(Explorer(setup: planted, bounds: noFaults, search: .dfs).run().counterexample)
        XCTAssertEqual(depth.violation.kind, .lamportOrder)
        XCTAssertGreaterThanOrEqual(depth.path.actions.count, breadth.path.actions.count, "breadth-first paths are shortest")
    }

    /// Deliveries to different peers commute: both orders reach one state, so it is visited once.
    func testTwoOrdersOfIndependentDeliveriesAreOneState() {
        // Walk, one first enabled step at a time, to where the first election's winner (P2)
        // has frames on the way to both other peers (its COORDINATOR).
        var start = ExploredSystem(setup())
        var actions = start.enabled(within: noFaults)
        for _ in 0..<64 where !(actions.contains(.deliver(from: 2, to: 0)) && actions.contains(.deliver(from: 2, to: 1))) {
            guard let first = actions.first else { break }
            _ = start.apply(first)
            actions = start.enabled(within: noFaults)
        }
        XCTAssertTrue(actions.contains(.deliver(from: 2, to: 0)) && actions.contains(.deliver(from: 2, to: 1)), "\(actions)")
        guard actions.contains(.deliver(from: 2, to: 0)) && actions.contains(.deliver(from: 2, to: 1)) else { return }
        var one = start
        _ = one.apply(.deliver(from: 2, to: 0))
        _ = one.apply(.deliver(from: 2, to: 1))
        var other = start
        _ = other.apply(.deliver(from: 2, to: 1))
        _ = other.apply(.deliver(from: 2, to: 0))
        XCTAssertEqual(one, other)
        XCTAssertEqual(Fingerprint(one), Fingerprint(other))
        XCTAssertNotEqual(one, start)
    }

    /// A state's fingerprint hashes again only the parts its last step changed: after every
    /// kind of step it must equal the hash of the whole state taken afresh.
    func testTheFingerprintKeptAcrossStepsIsTheWholeStatesHash() {
        let bounds = ExplorationBounds(crashes: 1, pauses: 1, drops: 1)
        var stack = [ExploredSystem(setup(peers: 2))]
        var seen = Set<Fingerprint>()
        var verbs = Set<String>()
        var checked = 0
        while var state = stack.popLast(), checked < 4000 {
            _ = state.fingerprint()
            for action in state.enabled(within: bounds) {
                var next = state
                _ = next.apply(action)
                let kept = next.fingerprint()
                XCTAssertEqual(kept, Fingerprint(next), "after \(action.text)")
                verbs.insert(String(action.text.split(separator: " ")[0]))
                checked += 1
                if seen.insert(kept).inserted { stack.append(next) }
            }
        }
        XCTAssertEqual(verbs, ["deliver", "timer", "store", "result", "crash", "restart", "pause", "resume", "drop"])
    }

    func testAStopFromOutsideReportsWhatWasCovered() {
        // Asked every 256 states: a market with more of them than that.
        let explorer = Explorer(setup: setup(buyers: 2), bounds: noFaults)
        var asked = 0
        explorer.shouldStop = {
            asked += 1
            return asked > 1
        }
        let result = explorer.run()
        XCTAssertTrue(result.interrupted)
        XCTAssertFalse(result.complete)
        XCTAssertGreaterThan(result.coveredDepth, 0)
        XCTAssertLessThan(result.coveredDepth, result.maxDepth + 1)
    }

    func testAStepThatIsNotEnabledIsRefusedOnReplay() {
        XCTAssertThrowsError(try ExplorationReplay(setup: setup(), bounds: noFaults, path: [.storeResult(1)])) { error in
            XCTAssertEqual(error as? ExplorationReplay.Failure, .notEnabled(number: 1, .storeResult(1)))
        }
    }

    func testEveryActionReadsBackFromItsText() {
        let actions: [ExplorationAction] = [
            .deliver(from: 0, to: 2), .fire(1, .election), .fire(2, .heartbeat), .runStore(2), .storeResult(0),
            .crash(1), .restart(1), .pause(2), .resume(2), .drop(from: 2, to: 0),
        ]
        for action in actions {
            XCTAssertEqual(ExplorationAction(action.text), action, action.text)
        }
        XCTAssertNil(ExplorationAction("deliver P0"))
        XCTAssertNil(ExplorationAction("timer P1 nap"))
    }
}
