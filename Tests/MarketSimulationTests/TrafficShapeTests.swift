import MarketCore
import MarketSimulation
import XCTest

/// The protocol's cost grows as O(n): measured in virtual time by counting envelopes, and
/// asserted as ratios between sizes within one run of the test, never as timings.
final class TrafficShapeTests: XCTestCase {
    private var calm: SimulationOptions {
        var options = SimulationOptions()
        options.sickRate = 0
        options.pauses = false
        return options
    }

    /// `peers` peers of which the lowest `buyers` buy; the rest sell (the trader among them).
    private func market(peers: Int, buyers: Int, requests: Int) throws -> Scenario {
        var scenario = try BuiltInScenario.manyBuyers.scenario(seed: 7, peers: peers)
        for index in scenario.peers.indices {
            scenario.peers[index].role = index < buyers ? .buyer : .seller
        }
        scenario.requestsPerBuyer = requests
        scenario.sickRate = 0
        return scenario
    }

    private func run(_ scenario: Scenario, options: SimulationOptions) -> SimulationResult {
        let result = Simulation(scenario: scenario, options: options).run()
        XCTAssertNil(result.failure, "\(result.failure.map(String.init(describing:)) ?? "")")
        XCTAssertEqual(result.elections, 1, "a calm run has its first election only")
        return result
    }

    /// Every message a decided buy cost, less the run's one election (Bully's cascade is a
    /// cost of the election, paid once, not of the buys).
    private func perBuy(_ result: SimulationResult) -> Double {
        let election = ["election", "ok", "coordinator"].reduce(0) { $0 + (result.messages[$1] ?? 0) }
        return Double(result.messages.values.reduce(0, +) - election) / Double(max(result.decisions, 1))
    }

    private func kinds(_ result: SimulationResult) -> String {
        result.messages.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    func testABuyCostsWhatItsBuyersCostNotWhatThePeersCost() throws {
        // The same 8 buyers among 16 and among 32 peers: sellers get no multicast and send no ack.
        let small = run(try market(peers: 16, buyers: 8, requests: 30), options: calm)
        let large = run(try market(peers: 32, buyers: 8, requests: 30), options: calm)
        XCTAssertEqual(small.decisions, 240)
        XCTAssertEqual(large.decisions, 240)
        XCTAssertLessThan(perBuy(large), 1.2 * perBuy(small),
                          "\(perBuy(small)) → \(perBuy(large)) messages a buy; \(kinds(small)) → \(kinds(large))")
    }

    func testABuyCostsInProportionToTheBuyers() throws {
        // Twice the buyers, at most about twice the messages a buy: linear, not quadratic.
        let small = run(try market(peers: 16, buyers: 12, requests: 20), options: calm)
        let large = run(try market(peers: 32, buyers: 24, requests: 20), options: calm)
        XCTAssertLessThan(perBuy(large), 2.2 * perBuy(small),
                          "\(perBuy(small)) → \(perBuy(large)) messages a buy; \(kinds(small)) → \(kinds(large))")
        XCTAssertLessThan(perBuy(small), 16, "the issue's target at 16 peers and 12 buyers: \(kinds(small))")
    }

    func testTheStartupElectionCostsNoCascadeOfElectionFrames() throws {
        // The lowest peer starts it: in Bully's classic round every peer above it would ask
        // every peer above itself, 64 × 63 / 2 ELECTION frames and as many OKs.
        var scenario = try market(peers: 64, buyers: 0, requests: 0)
        scenario.firstElection = 0
        let result = run(scenario, options: calm)
        let frames = ["election", "ok"].reduce(0) { $0 + (result.messages[$1] ?? 0) }
        XCTAssertLessThanOrEqual(frames, 2 * 64, kinds(result))
    }

    func testIdleHeartbeatTrafficGrowsLinearly() throws {
        var options = calm
        options.holdUntil = .seconds(4)
        func heartbeatsPerSecond(_ peers: Int) throws -> Double {
            let result = run(try market(peers: peers, buyers: 0, requests: 0), options: options)
            return Double(result.messages["heartbeat"] ?? 0) / result.virtualTime.seconds
        }
        let small = try heartbeatsPerSecond(16)
        let large = try heartbeatsPerSecond(32)
        XCTAssertLessThan(large, 2.5 * small, "\(small) → \(large) heartbeats a second: O(n) doubles, O(n²) quadruples")
        XCTAssertLessThan(large, 2 * 32 * 20 * 1.1, "the trader and each peer, 20 times a second at most")
    }
}
