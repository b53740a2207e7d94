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
        XCTAssertTrue(try refusal(#"{"peers": "#).contains("case.json:1:11: expected a value, found the end of the file"))
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

    func testInFlightIsReadAndBounded_andItsRunsDecideEveryRequest() throws {
        let loaded = try XCTUnwrap(ScenarioFile.load(argument: try file(pair + #", "in_flight": 3}"#)))
        let scenario = try loaded.scenario(seed: 1, peerCount: nil)
        XCTAssertEqual(scenario.config(for: 1).inFlight, 3)
        XCTAssertEqual(scenario.config(for: 2).inFlight, 3, "every peer knows it, the trader too")
        var sweep = SeedSweep(slots: [SeedSweep.Slot(.normal)], firstSeed: 1, seeds: 3, options: SimulationOptions())
        sweep.scenario = { seed throws(ScenarioError) in try loaded.scenario(seed: seed, peerCount: nil) }
        let summaries = try sweep.run()
        XCTAssertEqual(summaries.first?.failures.count, 0)
        XCTAssertEqual(summaries.first?.decisions, 3 * 4)
        let none = try XCTUnwrap(ScenarioFile.load(argument: try file(pair + #", "in_flight": 0}"#)))
        XCTAssertThrowsError(try none.scenario(seed: 1, peerCount: nil).validate()) { error in
            XCTAssertEqual("\(error)", "invalid scenario: requests in flight must be 1 to 1024 (asked for 0)")
        }
    }

    /// JSON is read strictly, and a syntax error says where it is, as an editor counts.
    func testSyntaxErrorsGiveLineAndColumn_andATrailingCommaIsOne() throws {
        XCTAssertTrue(try refusal(#"{"base": "single_pair",}"#).hasSuffix("case.json:1:24: expected a key in double quotes, found '}'"))
        XCTAssertTrue(try refusal("{\"peers\": [\n  {\"role\": \"buyer\", \"product\": \"salt\"},\n]}")
            .hasSuffix("case.json:3:1: expected a value, found ']'"))
        XCTAssertTrue(try refusal("{\n  \"base\": \"single_pair\",\n  \"requests\": 3").hasSuffix(
            "case.json:3:16: expected ',' or '}', found the end of the file"))
        XCTAssertTrue(try refusal(#"{"base": 'single_pair'}"#).hasSuffix("case.json:1:10: expected a value, found '''"))
        XCTAssertTrue(try refusal(#"{"base": "single_pair"} x"#).contains("1:25: expected the end of the file"))
        XCTAssertTrue(try refusal(#"{"requests": 01}"#).contains("expected ',' or '}', found '1'"))
        XCTAssertEqual(try refusal(#"{"base": "single_pair", "name": "café \u00e9", "seed": 5e0}"#), "accepted",
                       "valid JSON passes the syntax check")
    }

    /// A mistyped key or base names the nearest right one; a word near nothing gets no guess.
    func testMistypedKeysAndScenariosGetADidYouMean() throws {
        XCTAssertTrue(try refusal(pair + #", "reqests": 3}"#).hasSuffix("unknown key 'reqests' in the scenario file; did you mean 'requests'?"))
        XCTAssertTrue(try refusal(pair + #", "timing_ms": {"hartbeat": 5}}"#).hasSuffix("did you mean 'heartbeat'?"))
        XCTAssertTrue(try refusal(#"{"peers": [{"role": "buyer", "prodcut": "salt"}]}"#).hasSuffix("did you mean 'product'?"))
        XCTAssertTrue(try refusal(#"{"base": "singel_pair"}"#).hasSuffix("did you mean 'single_pair'?"))
        XCTAssertFalse(try refusal(pair + #", "zzzzzz": 3}"#).contains("did you mean"))
        XCTAssertEqual(Suggestion.describe(.unknown("test_case")),
                       "unknown scenario 'test_case'; did you mean 'test_case1'? (`market scenarios` lists them)")
        XCTAssertEqual(Suggestion.describe(.unknown("zzzz")), ScenarioError.unknown("zzzz").description)
    }

    /// A file that cannot be read says why.
    func testAnUnreadableFileSaysWhy() throws {
        XCTAssertThrowsError(try ScenarioFile.load(path: directory.appendingPathComponent("none.json").path)) { error in
            XCTAssertTrue("\(error)".hasSuffix("none.json: no such file or directory"), "\(error)")
        }
        XCTAssertThrowsError(try ScenarioFile.load(path: directory.path)) { error in
            XCTAssertTrue("\(error)".hasSuffix(": it is a directory"), "\(error)")
        }
    }

    func testHostsAndAPeersHostAreRead_andRefusedWhenNotDestinations() throws {
        let placed = try ScenarioFile.load(path: try file(#"{"hosts": ["host1", "host2"], "peers": [{"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt", "host": "host3"}]}"#))
        XCTAssertEqual(placed.hosts, ["host1", "host2"])
        XCTAssertEqual(placed.chosenHosts, [1: "host3"])
        XCTAssertEqual(try refusal(#"{"hosts": [], "base": "single_pair"}"#), "invalid scenario: 'hosts' must be a list of SSH destinations (strings), at least one")
        XCTAssertEqual(try refusal(#"{"hosts": "host1", "base": "single_pair"}"#), "invalid scenario: 'hosts' must be a list of SSH destinations (strings), at least one")
        XCTAssertEqual(try refusal(#"{"peers": [{"role": "buyer", "product": "salt", "host": 3}]}"#), "invalid scenario: peer 0: 'host' must be an SSH destination (a string)")
        XCTAssertEqual(try refusal(#"{"peers": [{"role": "buyer", "product": "salt", "hots": "a"}]}"#), "invalid scenario: unknown key 'hots' in peer 0; did you mean 'host'?")
    }
}
