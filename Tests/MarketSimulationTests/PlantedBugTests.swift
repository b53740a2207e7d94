import MarketCore
import MarketSimulation
import XCTest

/// The simulator has teeth: bugs planted through seams made for it are reported.
final class PlantedBugTests: XCTestCase {
    private func firstViolation(_ scenario: BuiltInScenario, options: SimulationOptions, seeds: ClosedRange<UInt64>) throws -> SimulationResult? {
        for seed in seeds {
            let result = Simulation(scenario: try Simulation.scenario(scenario, seed: seed, options: options), options: options).run()
            if !result.passed { return result }
        }
        return nil
    }

    /// The first seed the planted bug breaks fails with `kind`, and the same seed with the real
    /// rules is clean: the bug, not the seed, is what was caught.
    @discardableResult
    private func assertCaught(
        _ kind: Violation.Kind, in scenario: BuiltInScenario, options: SimulationOptions, seeds: ClosedRange<UInt64>,
        _ unnoticed: String, file: StaticString = #filePath, line: UInt = #line
    ) throws -> SimulationResult {
        let found = try XCTUnwrap(try firstViolation(scenario, options: options, seeds: seeds),
                                  "\(unnoticed) went unnoticed for \(seeds.count) seeds", file: file, line: line)
        XCTAssertEqual(found.failure?.kind, kind, "\(found.failure!)", file: file, line: line)
        let fixed = Simulation(scenario: try Simulation.scenario(scenario, seed: found.seed, options: SimulationOptions())).run()
        XCTAssertNil(fixed.failure, file: file, line: line)
        return found
    }

    func testAnOrderBookThatDoesNotWaitForStabilityIsCaught() throws {
        var options = SimulationOptions()
        options.stabilityRule = .immediate
        let found = try assertCaught(.lamportOrder, in: .testCase3, options: options, seeds: 1...200,
                                     "deciding without stability")
        XCTAssertFalse(found.failure!.trace.isEmpty, "a violation carries the events before it")
    }

    func testAStoreThatDoesNotFenceIsCaught() throws {
        var options = SimulationOptions()
        options.fencing = false
        // A deposed trader's commit lands, and the simulator checks every commit's epoch
        // against the store's first: the fencing check, not whatever the stale write breaks.
        try assertCaught(.fencing, in: .testCase1, options: options, seeds: 1...300, "an unfenced store")
    }

    func testAnElectionThatAsksNoHigherPeerIsCaught() throws {
        var options = SimulationOptions()
        options.electionRule = .claimAtOnce
        try assertCaught(.bully, in: .testCase1, options: options, seeds: 1...100,
                             "elections that skip the higher peers")
    }

    func testAPeerThatBelievesUnbackedClaimsIsCaught() throws {
        var options = SimulationOptions()
        options.electionRule = .trustsClaims
        let found = try assertCaught(.epochWinner, in: .testCase1, options: options, seeds: 1...100,
                                     "believing claims the store never granted")
        XCTAssertTrue(found.failure!.violation.detail.contains("the store granted only"), "\(found.failure!)")
    }

    func testAViolationNamesTheSeedThatReplaysIt() throws {
        var options = SimulationOptions()
        options.stabilityRule = .immediate
        let found = try XCTUnwrap(try firstViolation(.testCase3, options: options, seeds: 1...200))
        let replay = Simulation(scenario: try Simulation.scenario(.testCase3, seed: found.seed, options: options), options: options).run()
        XCTAssertEqual(replay, found)
    }
}
