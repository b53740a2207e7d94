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
        return (full.run(), Explorer(setup: setup, bounds: bounds).run())
    }

    private func assertSameCoverage(_ full: ExplorationResult, _ reduced: ExplorationResult, _ what: String,
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(full.complete && reduced.complete, what, file: file, line: line)
        XCTAssertEqual(reduced.states, full.states, "\(what): every state", file: file, line: line)
        XCTAssertEqual(reduced.maxDepth, full.maxDepth, what, file: file, line: line)
        XCTAssertEqual(reduced.terminalStates, full.terminalStates, "\(what): every state at rest", file: file, line: line)
        XCTAssertEqual(reduced.judgedTerminalStates, full.judgedTerminalStates, what, file: file, line: line)
        XCTAssertEqual(reduced.tradePath?.actions.count, full.tradePath?.actions.count, "\(what): a trade as soon", file: file, line: line)
        XCTAssertEqual(reduced.takeoverPath?.actions.count, full.takeoverPath?.actions.count, "\(what): a takeover as soon", file: file, line: line)
    }

    /// Every kind of fault, two peers; and three peers' election and buy without faults.
    func testTheReducedSearchVisitsEveryStateTheFullOneDoes() {
        let faults = ExplorationBounds(crashes: 1, pauses: 1, drops: 1)
        let (full, reduced) = both(setup(peers: 2), faults)
        assertSameCoverage(full, reduced, "2 peers, a crash, a pause, a drop")
        XCTAssertLessThan(reduced.transitions, full.transitions * 3 / 4, "the reduction leaves out steps (\(reduced.transitions) of \(full.transitions))")
        let (fullThree, reducedThree) = both(setup(peers: 3), ExplorationBounds(crashes: 0))
        assertSameCoverage(fullThree, reducedThree, "3 peers, no fault")
        XCTAssertLessThan(reducedThree.transitions, fullThree.transitions * 3 / 4)
    }

    func testEachPlantedBugIsFoundWithAPathAsShort() throws {
        var unstable = setup(peers: 3, buyers: 2)
        unstable.stabilityRule = .immediate
        var claiming = setup(peers: 3)
        claiming.scenario.electionRule = .claimAtOnce
        var unfenced = setup(peers: 2)
        unfenced.fencing = false
        let cases = [("unstable_order", unstable, ExplorationBounds(crashes: 0)), ("claim_at_once", claiming, ExplorationBounds(crashes: 0)),
                     ("unfenced_store", unfenced, ExplorationBounds(crashes: 0, pauses: 1))]
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
        let bounds = ExplorationBounds(crashes: 0)
        let right = Explorer(setup: setup(peers: 3), bounds: bounds).run()
        let wrong = Explorer(setup: setup(peers: 3), bounds: bounds)
        wrong.independence = { system, a, b in
            if case .deliver = a, case .deliver = b { return true }
            return system.independent(a, b)
        }
        let lost = wrong.run()
        XCTAssertLessThan(lost.states, right.states, "two receive orders at one peer made one")
    }
}
