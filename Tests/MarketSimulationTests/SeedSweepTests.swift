import MarketCore
import MarketSimulation
import XCTest

/// The protocol under randomized faults: hundreds of seeds across every built-in scenario.
final class SeedSweepTests: XCTestCase {
    func testFiveHundredSeedsAcrossTheScenariosRunClean() throws {
        // many_buyers (12 buyers) with 5 requests each, so that it costs what the others do.
        let slots = BuiltInScenario.allCases.map { SeedSweep.Slot($0, requests: $0 == .manyBuyers ? 5 : nil) }
        let sweep = SeedSweep(slots: slots, firstSeed: 1, seeds: 504, options: SimulationOptions())
        let summaries = try sweep.run()

        let failures = summaries.flatMap(\.failures)
        XCTAssertEqual(failures.count, 0, failures.map { "seed \($0.seed) \($0.scenario): \($0.failure!)" }.joined(separator: "\n"))
        XCTAssertEqual(summaries.reduce(0) { $0 + $1.seeds }, 504)
        // The stalled first copies made traders decide requests decided before (issue 13's
        // "already decided"), and those seeds ran clean too.
        XCTAssertGreaterThan(summaries.reduce(0) { $0 + $1.alreadyDecided }, 0, "no batch named a request decided before")
        // Faults really happened, so the clean result means something.
        for summary in summaries where ["test_case1", "test_case2", "test_case3", "normal", "lab", "many_buyers"].contains(summary.scenario) {
            XCTAssertGreaterThan(summary.faults, summary.seeds / 2, "\(summary.scenario) saw too few faults")
            XCTAssertGreaterThan(summary.elections, summary.seeds, "\(summary.scenario) saw no re-elections")
            XCTAssertGreaterThan(summary.takeovers, 0, "\(summary.scenario) never had a queue taken over")
        }
    }

    func testSixtyFourPeersUnderFaultsRunClean() throws {
        // normal×64 and many_buyers×64 in turn: Bully across 64 peers, crashes seen by the
        // transport, takeovers of a queue that 48 buyers fill.
        let sweep = SeedSweep(slots: SeedSweep.Slot.large(peers: [64]), firstSeed: 1, seeds: 4, options: SimulationOptions())
        let summaries = try sweep.run()
        let failures = summaries.flatMap(\.failures)
        XCTAssertEqual(failures.count, 0, failures.map { "seed \($0.seed) \($0.scenario)×64: \($0.failure!)" }.joined(separator: "\n"))
        XCTAssertEqual(summaries.map(\.scenario), ["normal×64", "many_buyers×64"])
        XCTAssertGreaterThan(summaries.reduce(0) { $0 + $1.faults }, 0, "no faults: the clean result would mean little")
        XCTAssertGreaterThan(summaries.reduce(0) { $0 + $1.takeovers }, 0)
        for summary in summaries {
            XCTAssertGreaterThan(summary.decisions, 0, summary.scenario)
        }
    }

    func testSellersThatSellOutRestockUnderFaults() throws {
        // Tiny stock: sellers sell out again and again and restock random products, while
        // traders fall sick, crash and wake as zombies.
        var restocks = 0
        for seed in UInt64(1)...60 {
            var scenario = try Simulation.scenario(seed % 2 == 0 ? .testCase1 : .testCase3, seed: seed, options: SimulationOptions())
            scenario.initialStock = 2
            scenario.restock = 3
            let simulation = Simulation(scenario: scenario)
            let result = simulation.run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            restocks += simulation.store.deposits.filter { $0.quantity == 3 }.count
        }
        XCTAssertGreaterThan(restocks, 60, "sellers hardly ever restocked")
    }

    /// Seeds where the trader P2 crashed, the buyer P1 took over, and P2 came back: the run
    /// used to be called over while P2's recovery election ran, with P1's last requests never
    /// made (P1 trading does not buy).
    func testARunIsNotOverWhileAHigherPeerIsTakingOverFromABuyer() throws {
        for seed: UInt64 in [209, 221, 245, 257, 269, 281] {
            let simulation = Simulation(scenario: try Simulation.scenario(.singlePair, seed: seed, options: SimulationOptions()))
            let result = simulation.run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            XCTAssertEqual(simulation.store.requests.count, simulation.scenario.requestsPerBuyer, "seed \(seed): every request made")
        }
    }

    func testTheSameSeedReplaysExactly() throws {
        for builtIn in [BuiltInScenario.testCase1, .normal, .testCase2] {
            let scenario = try Simulation.scenario(builtIn, seed: 77, options: SimulationOptions())
            let first = Simulation(scenario: scenario).run()
            let second = Simulation(scenario: scenario).run()
            XCTAssertEqual(first, second, builtIn.rawValue)
            XCTAssertGreaterThan(first.events, 100)
        }
    }

    func testDifferentSeedsTakeDifferentPaths() throws {
        let a = Simulation(scenario: try Simulation.scenario(.testCase3, seed: 1, options: SimulationOptions())).run()
        let b = Simulation(scenario: try Simulation.scenario(.testCase3, seed: 2, options: SimulationOptions())).run()
        XCTAssertNotEqual(a.events, b.events)
    }

    func testEveryBuiltInSettlesWithoutFaults() throws {
        var options = SimulationOptions()
        options.sickRate = 0
        options.pauses = false
        for builtIn in BuiltInScenario.allCases {
            let scenario = try Simulation.scenario(builtIn, seed: 5, options: options)
            let simulation = Simulation(scenario: scenario, options: options)
            let result = simulation.run()
            XCTAssertNil(result.failure, "\(builtIn.rawValue): \(result.failure.map(String.init(describing:)) ?? "")")
            XCTAssertEqual(result.elections, 1, "\(builtIn.rawValue) needs exactly one election without faults")
            XCTAssertEqual(result.faults, 0)
            let buyers = scenario.buyers.filter { $0.id != simulation.store.leader }.count
            XCTAssertEqual(result.decisions, buyers * options.requestsPerBuyer, builtIn.rawValue)
        }
    }

    func testNoMatchFailsEveryBuyWithNoSeller() throws {
        var options = SimulationOptions()
        options.sickRate = 0
        let simulation = Simulation(scenario: try Simulation.scenario(.noMatch, seed: 3, options: options), options: options)
        XCTAssertNil(simulation.run().failure)
        let outcomes = simulation.store.decisions.map(\.outcome)
        XCTAssertEqual(outcomes.count, options.requestsPerBuyer)
        XCTAssertTrue(outcomes.allSatisfy { $0 == .failed(.noSeller) })
    }

    func testTestCaseTwoStartsWithPeerThreeAsTrader() throws {
        var options = SimulationOptions()
        options.sickRate = 0
        options.pauses = false
        let simulation = Simulation(scenario: try Simulation.scenario(.testCase2, seed: 9, options: options), options: options)
        XCTAssertNil(simulation.run().failure)
        XCTAssertEqual(simulation.store.claims.first?.leader, 3)
    }
}
