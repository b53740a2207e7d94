import MarketCore
@testable import MarketSimulation
import XCTest

/// Sleep sets leave out only steps to states reached another way: the reduced search visits
/// every state the full one does, judges the same states at rest, and finds each planted bug
/// with a path as short.
final class ExplorerReductionTests: XCTestCase {
    private func setup(peers: Int, buyers: Int = 1) -> ExplorationSetup {
        ExplorationSetup(scenario: ExplorationSetup.market(peers: peers, buyers: buyers, requests: 1))
    }

    private func both(_ setup: ExplorationSetup, _ bounds: ExplorationBounds) -> (full: ExplorationResult, reduced: ExplorationResult) {
        let full = Explorer(setup: setup, bounds: bounds)
        full.reduction = false
        let reduced = Explorer(setup: setup, bounds: bounds)
        reduced.reduction = true
        return (full.run(), reduced.run())
    }

    private func assertSameCoverage(_ full: ExplorationResult, _ reduced: ExplorationResult, _ what: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reduced.complete, full.complete, what, file: file, line: line)
        XCTAssertEqual(reduced.counterexample?.violation.kind, full.counterexample?.violation.kind, what, file: file, line: line)
        XCTAssertEqual(reduced.counterexample?.path.actions.count, full.counterexample?.path.actions.count, what, file: file, line: line)
        XCTAssertEqual(reduced.states, full.states, "\(what): every state", file: file, line: line)
        XCTAssertEqual(reduced.maxDepth, full.maxDepth, what, file: file, line: line)
        XCTAssertEqual(reduced.terminalStates, full.terminalStates, "\(what): every state at rest", file: file, line: line)
        XCTAssertEqual(reduced.judgedTerminalStates, full.judgedTerminalStates, what, file: file, line: line)
        XCTAssertEqual(reduced.tradePath?.actions.count, full.tradePath?.actions.count, "\(what): a trade as soon", file: file, line: line)
        XCTAssertEqual(reduced.takeoverPath?.actions.count, full.takeoverPath?.actions.count, "\(what): a takeover as soon", file: file, line: line)
        XCTAssertLessThan(reduced.transitions, full.transitions, "\(what): the reduction leaves out steps", file: file, line: line)
    }

    /// Three peers' election and buy to depth 22, without faults (depth-bounded: sleep sets
    /// leave out only steps whose other order is as long).
    func testTheReducedSearchVisitsEveryStateTheFullOneDoes() {
        let (full, reduced) = both(setup(peers: 3), ExplorationBounds(crashes: 0, depth: 22))
        assertSameCoverage(full, reduced, "3 peers to depth 22")
    }

    /// With faults: two peers with a crash (every state), and with a crash, a pause and a lost
    /// message to depth 20. The reduced search was once recorded visiting 6,186 states of the
    /// full one's 6,328 with a crash: that was a debug build of nodes read through a borrowing
    /// accessor, which read freed memory (a crashed peer seen as up); with the nodes read safely
    /// both searches count 568 states for that bound, in debug and release builds.
    func testWithFaultsTheReducedSearchVisitsEveryStateTheFullOneDoes() {
        let (full, reduced) = both(setup(peers: 2), ExplorationBounds(crashes: 1))
        assertSameCoverage(full, reduced, "2 peers, a crash")
        XCTAssertTrue(full.complete)
        let (fullFaults, reducedFaults) = both(setup(peers: 2), ExplorationBounds(crashes: 1, pauses: 1, drops: 1, depth: 20))
        assertSameCoverage(fullFaults, reducedFaults, "2 peers, a crash, a pause, a lost message, to depth 20")
        XCTAssertEqual(reducedFaults.mendedPastTheBound, fullFaults.mendedPastTheBound)
    }

    /// Three peers, two of them buyers, with a crash, to depth 16.
    func testWithACrashAmongThreePeersTheReducedSearchVisitsEveryState() {
        let (full, reduced) = both(setup(peers: 3, buyers: 2), ExplorationBounds(crashes: 1, depth: 16))
        assertSameCoverage(full, reduced, "3 peers, 2 buyers, a crash, to depth 16")
    }

    /// Shown sound on every bound above and in `ExplorerTests`, and pair by pair by
    /// `ExplorerIndependenceTests`, the reduction is on unless turned off.
    func testTheReductionIsOnByDefault() {
        XCTAssertTrue(Explorer(setup: setup(peers: 2), bounds: ExplorationBounds(crashes: 1)).reduction)
    }

    /// `unstable_order` is found with the reduction by `ExplorerTests`, whose check that the
    /// market without it is clean to the counterexample's depth makes that path a shortest one.
    func testEachPlantedBugIsFoundWithAPathAsShort() throws {
        var claiming = setup(peers: 3)
        claiming.scenario.electionRule = .claimAtOnce
        var unfenced = setup(peers: 2)
        unfenced.fencing = false
        let cases = [("claim_at_once", claiming, ExplorationBounds(crashes: 0)),
                     ("claim_at_once with a crash", claiming, ExplorationBounds(crashes: 1)),
                     ("unfenced_store", unfenced, ExplorationBounds(crashes: 0, pauses: 1)),
                     ("unfenced_store with a crash", unfenced, ExplorationBounds(crashes: 1, pauses: 1))]
        for (name, planted, bounds) in cases {
            let (full, reduced) = both(planted, bounds)
            let shortest = try XCTUnwrap(full.counterexample, name)
            let found = try XCTUnwrap(reduced.counterexample, "\(name) went unnoticed with the reduction")
            XCTAssertEqual(found.violation.kind, shortest.violation.kind, name)
            XCTAssertEqual(found.path.actions.count, shortest.path.actions.count, "\(name): as short")
        }
    }

    /// The equality above has teeth: calling two deliveries to one peer independent (their
    /// order matters to it) loses states.
    func testAWrongIndependenceRelationLosesStates() {
        let bounds = ExplorationBounds(crashes: 0, depth: 22)
        // Two buyers: with the election asking the highest peer first, one buyer's market has
        // no two deliveries to one peer whose order matters within this depth.
        let rightExplorer = Explorer(setup: setup(peers: 3, buyers: 2), bounds: bounds)
        rightExplorer.reduction = true
        let right = rightExplorer.run()
        let wrong = Explorer(setup: setup(peers: 3, buyers: 2), bounds: bounds)
        wrong.reduction = true
        wrong.independence = { system, a, b in
            if case .deliver = a, case .deliver = b { return true }
            return system.independent(a, b)
        }
        let lost = wrong.run()
        XCTAssertLessThan(lost.states, right.states, "two receive orders at one peer made one")
    }
}
