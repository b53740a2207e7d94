import Foundation
import MarketCore
import MarketScenarioFile
import MarketSimulation
import XCTest

/// A scenario file is read strictly (one line naming what is wrong), and what it describes
/// runs in the simulator as `market simulate --scenario FILE` runs it.
final class ScenarioFileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func file(_ text: String) throws -> String {
        let path = directory.appendingPathComponent("case.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func refusal(_ text: String) throws -> String {
        let path = try file(text)
        do {
            _ = try ScenarioFile.load(path: path)
            return "accepted"
        } catch {
            return error.description
        }
    }

    /// The highest peer becomes the trader; the buyer and the first seller trade through it.
    let pair = #"{"peers": [{"role": "seller", "product": "salt"}, {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"}], "requests": 4"#

    func testUnknownKeysBadEnumsAndNonObjectsAreRefusedByName() throws {
        XCTAssertTrue(try refusal(pair + #", "sick_rat": 0.1}"#).contains("sick_rat"))
        XCTAssertTrue(try refusal(pair + #", "sick_mode": "asleep"}"#).contains("sick_mode"))
        XCTAssertTrue(try refusal(#"{"peers": [{"role": "juggler", "product": "salt"}]}"#).contains("role"))
        XCTAssertTrue(try refusal(#"{"base": "test_case9"}"#).contains("test_case9"))
        XCTAssertTrue(try refusal(#"[1, 2]"#).contains("not a JSON object"))
        XCTAssertTrue(try refusal(#"{"peers": "#).contains("not a JSON object"))
        XCTAssertEqual(try refusal(pair + "}"), "accepted")
    }

    func testABuiltInNameIsNoFile() throws {
        XCTAssertNil(try ScenarioFile.load(argument: "test_case3"))
        XCTAssertNotNil(try ScenarioFile.load(argument: try file(pair + "}")))
    }

    func testAFileSimulatesForSeveralSeedsWithItsOwnPeers() throws {
        let loaded = try XCTUnwrap(ScenarioFile.load(argument: try file(pair + #", "name": "pair"}"#)))
        var sweep = SeedSweep(slots: [SeedSweep.Slot(.normal)], firstSeed: 1, seeds: 3, options: SimulationOptions())
        sweep.scenario = { seed throws(ScenarioError) in try loaded.scenario(seed: seed, peerCount: nil) }
        let summaries = try sweep.run()
        XCTAssertEqual(summaries.first?.seeds, 3)
        XCTAssertEqual(summaries.first?.failures.count, 0)
        XCTAssertEqual(summaries.first?.decisions, 3 * 4, "every request of the file's one buyer is decided")
    }
}
