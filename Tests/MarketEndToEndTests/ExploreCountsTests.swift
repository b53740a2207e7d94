import Foundation
import MarketTestKit
import XCTest

/// `market explore` counts the same states, transitions and states at rest for the same bounds
/// in every process: nothing in the search depends on the hashing seed Swift draws afresh for
/// each process (dictionary order, `hashValue`), except which two states would share a 64-bit
/// fingerprint, about n²/2⁶⁵ for n states. (Counts that once differed between a debug test and
/// a release driver, 6,328 against 568, came from nodes read through a borrowing `_read`
/// accessor, which in a debug build gave wrong successor states and crashed this command;
/// `ExploredSystem.Nodes` has a plain getter.)
final class ExploreCountsTests: XCTestCase {
    private struct Counts: Decodable, Equatable {
        var states: Int
        var transitions: Int
        var max_depth: Int
        var terminal_states: Int
        var judged_terminal_states: Int
        var crashes: Int
        var pauses: Int
        var drops: Int
    }

    private func counts(_ market: URL, _ arguments: [String], environment: [String: String]) throws -> Counts {
        let run = try FinishedCommand.run([market.path] + arguments, environment: environment, deadline: 120)
        XCTAssertTrue(run.succeeded, "market \(arguments.joined(separator: " ")): \(run)")
        return try JSONDecoder().decode(Counts.self, from: Data(run.output.utf8))
    }

    func testTheSameBoundsGiveTheSameCountsInEveryProcess() throws {
        let market = try EndToEndTests.marketBinary()
        let arguments = ["explore", "--peers", "2", "--crashes", "1", "--pauses", "1", "--depth", "18", "--json"]
        let fixedSeed = try counts(market, arguments, environment: ["SWIFT_DETERMINISTIC_HASHING": "1"])
        XCTAssertEqual([fixedSeed.crashes, fixedSeed.pauses, fixedSeed.drops], [1, 1, 0], "the bounds are printed with the counts")
        XCTAssertGreaterThan(fixedSeed.states, 1_000)
        for _ in 0..<2 {
            XCTAssertEqual(try counts(market, arguments, environment: [:]), fixedSeed, "a process with a seed of its own")
        }
    }

    /// Depth-first search expands each state once: on one thread the same counts in every
    /// process; on two the same states and states at rest (which steps sleep, so the
    /// transitions, depends on which thread reaches a state first); and the same states and
    /// states at rest as breadth-first search.
    func testDepthFirstSearchCountsTheSameInEveryProcess() throws {
        let market = try EndToEndTests.marketBinary()
        let bounds = ["--peers", "3", "--buyers", "2", "--crashes", "0", "--json"]
        let breadth = try counts(market, ["explore"] + bounds, environment: [:])
        let one = try counts(market, ["explore", "--dfs"] + bounds, environment: [:])
        XCTAssertEqual(try counts(market, ["explore", "--dfs"] + bounds, environment: ["SWIFT_DETERMINISTIC_HASHING": "1"]), one,
                       "one thread: the same counts in another process")
        for depth in [one, try counts(market, ["explore", "--dfs", "--threads", "2"] + bounds, environment: [:])] {
            XCTAssertEqual(depth.states, breadth.states, "every state")
            XCTAssertEqual(depth.terminal_states, breadth.terminal_states, "every state at rest")
            XCTAssertEqual(depth.judged_terminal_states, breadth.judged_terminal_states)
        }
    }
}
