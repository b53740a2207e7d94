import MarketCore
@testable import MarketSimulation
import XCTest

/// The trader's lease in virtual time: a partition no longer makes each side elect in turn,
/// and a trader cut off from everyone still loses office.
final class LeaseSimulationTests: XCTestCase {
    /// Only the network's faults: no sickness, pauses, stalls or forgeries.
    private func options(_ kind: NemesisKind, actions: Int) -> SimulationOptions {
        var options = SimulationOptions()
        options.sickRate = 0
        options.pauses = false
        options.stalls = false
        options.forgeries = false
        options.peers = 8
        options.requestsPerBuyer = 40
        options.nemesis = NemesisPlan(kinds: [kind], interval: .seconds(1), actions: actions)
        // Every action and its heal happen, however fast the market trades.
        options.holdUntil = .seconds(2 * actions + 1)
        return options
    }

    /// `market run --scenario normal --peers 8 --nemesis partition --nemesis-interval 1`, in
    /// virtual time. Before the lease the side without the trader elected its own, and the
    /// other side again, several times a partition (with the lease's answer ignored: 8 to 16
    /// elections after startup for 3 partitions, in each of these seeds).
    func testAPartitionCostsAtMostOneElection() throws {
        let partitions = 3
        let options = options(.partition, actions: partitions)
        var over: [String] = []
        for seed: UInt64 in 1...12 {
            let scenario = try Simulation.scenario(.normal, seed: seed, options: options)
            let result = Simulation(scenario: scenario, options: options).run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            XCTAssertEqual(result.nemesisActions, partitions, "seed \(seed)")
            let afterStartup = result.elections - 1
            if afterStartup > partitions { over.append("seed \(seed): \(afterStartup) elections for \(partitions) partitions") }
        }
        XCTAssertEqual(over, [], "more than one election per partition")
    }

    /// An isolated trader hears nobody, so it stops renewing: the others elect a new trader
    /// within twice the suspect time of the cut.
    func testAnIsolatedTraderIsReplacedWithinTwiceTheSuspectTime() throws {
        let options = options(.isolateTrader, actions: 2)
        let suspect = Timing.forPeers(8).suspectAfter
        for seed: UInt64 in 1...6 {
            let scenario = try Simulation.scenario(.normal, seed: seed, options: options)
            let simulation = Simulation(scenario: scenario, options: options)
            var isolations: [Duration] = []
            var wins: [Duration] = []
            simulation.onTrace = { line in
                // "812.345ms P3 log: won the election for epoch 2 (heartbeatTimeout); taking over the queue"
                guard let time = line.firstMatch(of: #/^(\d+)\.(\d+)ms /#) else { return }
                let at = Duration.milliseconds(Int(time.1)!) + .microseconds(Int(time.2)!)
                if line.contains("the nemesis isolates the trader") { isolations.append(at) }
                if line.contains("won the election for epoch") { wins.append(at) }
            }
            let result = simulation.run()
            XCTAssertNil(result.failure, "seed \(seed): \(result.failure.map(String.init(describing:)) ?? "")")
            XCTAssertEqual(isolations.count, 2, "seed \(seed)")
            for isolated in isolations {
                let replaced = wins.first { $0 > isolated }
                XCTAssertNotNil(replaced, "seed \(seed): the trader isolated at \(isolated) was never replaced")
                if let replaced {
                    XCTAssertLessThanOrEqual(replaced - isolated, suspect * 2,
                                             "seed \(seed): isolated at \(isolated), a new trader only at \(replaced)")
                }
            }
        }
    }
}
