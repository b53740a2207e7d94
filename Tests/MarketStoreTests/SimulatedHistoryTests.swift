import Foundation
import MarketCore
import MarketSimulation
import MarketStore
import MarketTestKit
import XCTest

/// Histories the real protocol makes: simulated runs (elections, sickness, zombie traders,
/// takeovers) are replayed through `SQLiteStore`, and `market check` must find nothing wrong.
/// Faults are not in the simulator's store, so the Bully check has nothing to go on here.
final class SimulatedHistoryTests: XCTestCase {
    func testSimulatedRunsReplayIntoTheStoreAndPassTheChecker() throws {
        let directory = try TemporaryDirectory()
        let database = try MarketDatabase.open(path: directory.path("simulated.db"))
        var options = SimulationOptions()
        options.requestsPerBuyer = 12
        options.sickRate = 0.1
        var replayed = 0
        var takeovers = 0
        for (index, builtIn) in BuiltInScenario.allCases.enumerated() {
            for seed in [UInt64(index * 2 + 1), UInt64(index * 2 + 2)] {
                let scenario = try Simulation.scenario(builtIn, seed: seed, options: options)
                let simulation = Simulation(scenario: scenario, options: options)
                let result = simulation.run()
                // A failing seed is a failure here too, not a seed to skip.
                guard result.passed else {
                    XCTFail("\(builtIn.rawValue) seed \(seed) violated \(result.failure.map(String.init(describing:)) ?? "")")
                    continue
                }
                let runID = try replay(simulation, into: database)
                let report = try HistoryChecker(database: database).check(runID: runID)
                let failing = report.items.filter { !$0.passed && !$0.name.hasPrefix("Bully") }
                XCTAssertEqual(failing, [], "\(builtIn.rawValue) seed \(seed):\n" + report.lines().joined(separator: "\n"))
                replayed += 1
                takeovers += result.takeovers
            }
        }
        XCTAssertGreaterThan(replayed, BuiltInScenario.allCases.count)
        XCTAssertGreaterThan(takeovers, 0, "some requests were taken over by a later trader")
    }

    /// Writes what the simulated store holds through `SQLiteStore`, epoch by epoch.
    func replay(_ simulation: Simulation, into database: MarketDatabase) throws -> Int64 {
        let memory = simulation.store
        let scenario = simulation.scenario
        let runID = try database.beginRun(scenario: scenario.name, peerCount: scenario.peers.count, seed: scenario.seed,
                                          peers: scenario.peers)
        let store = database.store(runID: runID)
        let requests = memory.requests.values.sorted { $0.request.id < $1.request.id }
        for claim in memory.claims {
            XCTAssertEqual(try store.claimEpoch(claim), .claimed(claim))
            if claim.epoch == 1 {
                // When each deposit was accepted is not kept in memory: all go in at the start.
                for deposit in memory.deposits {
                    XCTAssertEqual(try store.recordDeposit(deposit, epoch: 1), .depositRecorded(deposit, duplicate: false))
                }
            }
            for record in requests where record.epochReceived == claim.epoch {
                XCTAssertEqual(try store.enqueue(record.request, epoch: claim.epoch), .enqueued(record.request))
            }
            for commit in memory.commits where commit.batch.epoch == claim.epoch {
                XCTAssertEqual(try store.commitDecisions(commit.batch), .committed(commit.batch))
            }
        }
        XCTAssertEqual(try database.progress(runID: runID).decided, memory.decisions.count)
        return runID
    }
}
