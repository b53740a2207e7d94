import Foundation
import MarketCore
import MarketScenarioFile
import XCTest

/// A scenario file's `network`: the nemesis and the links' latency and loss, read strictly.
extension ScenarioFileTests {
    func testANetworkBlockGivesTheNemesisPlanAndTheLinkConditions() throws {
        let path = try file(pair + #", "network": {"nemesis": "partition,bridge", "nemesis_interval_s": 2.5, "latency": "3ms:uniform", "loss": 0.1}}"#)
        let network = try XCTUnwrap(try ScenarioFile.load(path: path).network)
        XCTAssertEqual(network.plan, NemesisPlan(kinds: [.partition, .bridge], interval: .milliseconds(2500)))
        XCTAssertEqual(network.links, LinkConditions(latency: .milliseconds(3), distribution: .uniform, loss: 0.1))
        XCTAssertNil(try ScenarioFile.load(path: try file(pair + "}")).network)
    }

    func testABadNetworkBlockIsRefusedInOneLineByName() throws {
        XCTAssertTrue(try refusal(pair + #", "network": {"nemesis": "partiton"}}"#).contains("partiton"))
        XCTAssertTrue(try refusal(pair + #", "network": {"latency": "5"}}"#).contains("latency"))
        XCTAssertTrue(try refusal(pair + #", "network": {"loss": 1}}"#).contains("loss"))
        XCTAssertTrue(try refusal(pair + #", "network": {"nemesis_interval_s": 3}}"#).contains("needs"))
        XCTAssertTrue(try refusal(pair + #", "network": {"latencyy": "5ms"}}"#).contains("latencyy"))
        XCTAssertTrue(try refusal(pair + #", "network": 5}"#).contains("must be an object"))
        for refusal in [try refusal(pair + #", "network": {"nemesis": "partiton"}}"#)] {
            XCTAssertFalse(refusal.contains("\n"), refusal)
        }
    }
}
