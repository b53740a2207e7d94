import MarketCore
@testable import MarketSimulation
import XCTest

/// Depth-first search without a depth bound expands each state once, on one thread or two,
/// and so visits what breadth-first search does, taking each enabled step of each state once
/// (fewer with sleep sets, the same states); with a depth bound it must still expand again a
/// state reached by a shorter path.
final class ExplorerDepthFirstTests: XCTestCase {
    private func setup(peers: Int, buyers: Int = 1) -> ExplorationSetup {
        ExplorationSetup(scenario: ExplorationSetup.market(peers: peers, buyers: buyers, requests: 1))
    }

    private func search(_ setup: ExplorationSetup, _ bounds: ExplorationBounds, _ search: ExplorationResult.Search,
                        threads: Int = 1, reduction: Bool = true) -> ExplorationResult {
        let explorer = Explorer(setup: setup, bounds: bounds, search: search)
        explorer.threads = threads
        explorer.reduction = reduction
        return explorer.run()
    }

    /// Breadth-first without sleep sets takes every enabled step of every state once: depth-first
    /// search without them, each state expanded once, takes exactly as many (before, a state
    /// reached again by a shorter path was expanded again, with everything below it), on one
    /// thread or two. With sleep sets (the default) it visits the same states and takes fewer.
    func testWithoutADepthBoundEachStateIsExpandedOnceOnOneThreadOrTwo() {
        let cases = [("2 peers, a crash", setup(peers: 2), ExplorationBounds(crashes: 1)),
                     ("3 peers", setup(peers: 3), ExplorationBounds(crashes: 0)),
                     ("3 peers, 2 buyers", setup(peers: 3, buyers: 2), ExplorationBounds(crashes: 0)),
                     ("2 peers, a crash and a lost message", setup(peers: 2), ExplorationBounds(crashes: 1, drops: 1))]
        for (name, market, bounds) in cases {
            let full = search(market, bounds, .bfs, reduction: false)
            XCTAssertTrue(full.complete, name)
            for threads in [1, 2] {
                for reduction in [false, true] {
                    let depth = search(market, bounds, .dfs, threads: threads, reduction: reduction)
                    let what = "\(name), depth-first on \(threads) thread(s)\(reduction ? " with sleep sets" : "")"
                    XCTAssertTrue(depth.complete, what)
                    XCTAssertNil(depth.counterexample.map { "\($0.violation)" }, what)
                    XCTAssertEqual(depth.states, full.states, "\(what): every state")
                    if reduction {
                        XCTAssertLessThan(depth.transitions, full.transitions, "\(what): sleep sets leave out steps")
                    } else {
                        XCTAssertEqual(depth.transitions, full.transitions, "\(what): every step of every state, once")
                    }
                    XCTAssertEqual(depth.terminalStates, full.terminalStates, "\(what): every state at rest")
                    XCTAssertEqual(depth.judgedTerminalStates, full.judgedTerminalStates, what)
                    XCTAssertEqual(depth.mendedPastTheBound, full.mendedPastTheBound, what)
                    XCTAssertEqual(depth.tradePath == nil, full.tradePath == nil, "\(what): a trade reached")
                    XCTAssertEqual(depth.takeoverPath == nil, full.takeoverPath == nil, "\(what): a takeover reached")
                    XCTAssertGreaterThanOrEqual(depth.maxDepth, full.maxDepth, "\(what): no path shorter than the shortest")
                }
            }
        }
    }

    /// With a pause and a lost message, sleep sets in depth-first search keep every state,
    /// and every state at rest that heartbeats past the bound mend (faults make states reached
    /// again after they were expanded, with other steps asleep).
    func testWithFaultsDepthFirstSleepSetsKeepEveryState() {
        let market = setup(peers: 2)
        let bounds = ExplorationBounds(crashes: 0, pauses: 1, drops: 1)
        let full = search(market, bounds, .dfs, reduction: false)
        for threads in [1, 2] {
            let reduced = search(market, bounds, .dfs, threads: threads)
            XCTAssertEqual(reduced.states, full.states, "\(threads) thread(s): every state")
            XCTAssertEqual(reduced.terminalStates, full.terminalStates, "\(threads) thread(s): every state at rest")
            XCTAssertEqual(reduced.judgedTerminalStates, full.judgedTerminalStates)
            XCTAssertEqual(reduced.mendedPastTheBound, full.mendedPastTheBound)
            XCTAssertGreaterThan(reduced.mendedPastTheBound, 0, "a bound where heartbeats mend a state at rest")
            XCTAssertLessThan(reduced.transitions, full.transitions)
        }
    }

    /// The equalities above have teeth: calling two deliveries to one peer independent (their
    /// order matters to it) makes depth-first sleep sets lose states.
    func testAWrongIndependenceRelationLosesStatesDepthFirst() {
        let market = setup(peers: 3, buyers: 2)
        let bounds = ExplorationBounds(crashes: 0)
        let right = search(market, bounds, .dfs)
        for threads in [1, 2] {
            let wrong = Explorer(setup: market, bounds: bounds, search: .dfs)
            wrong.threads = threads
            wrong.independence = { system, a, b in
                if case .deliver = a, case .deliver = b { return true }
                return system.independent(a, b)
            }
            XCTAssertLessThan(wrong.run().states, right.states, "\(threads) thread(s): two receive orders at one peer made one")
        }
    }

    /// The rule above has teeth where it must not apply: with a depth bound, a state first
    /// reached deep and then by a shorter path has successors within the bound that the deep
    /// visit could not take, so depth-first search expands it again and visits what
    /// breadth-first search does within the bound.
    func testWithADepthBoundAStateReachedSoonerIsExpandedAgain() {
        let market = setup(peers: 3, buyers: 2)
        let bounds = ExplorationBounds(crashes: 1, depth: 14)
        let breadth = search(market, bounds, .bfs, reduction: false)
        let depth = search(market, bounds, .dfs)
        XCTAssertEqual(depth.states, breadth.states, "every state within the bound")
        XCTAssertGreaterThan(depth.transitions, breadth.transitions, "some state was expanded again from nearer the start")
    }

    /// Each planted bug is found on two threads, with a path that replays to it.
    func testOnTwoThreadsEachPlantedBugIsFoundWithAPathThatReplays() throws {
        var unstable = setup(peers: 3, buyers: 2)
        unstable.stabilityRule = .immediate
        var claiming = setup(peers: 3)
        claiming.scenario.electionRule = .claimAtOnce
        var unfenced = setup(peers: 2)
        unfenced.fencing = false
        let cases: [(String, ExplorationSetup, ExplorationBounds, Violation.Kind)] = [
            ("unstable_order", unstable, ExplorationBounds(crashes: 0), .lamportOrder),
            ("claim_at_once", claiming, ExplorationBounds(crashes: 0), .bully),
            ("unfenced_store", unfenced, ExplorationBounds(crashes: 0, pauses: 1), .fencing),
        ]
        for (name, planted, bounds, kind) in cases {
            let result = search(planted, bounds, .dfs, threads: 2)
            let found = try XCTUnwrap(result.counterexample, "\(name) went unnoticed")
            XCTAssertEqual(found.violation.kind, kind, "\(name): \(found.violation)")
            XCTAssertFalse(result.complete, name)
            let replay = try ExplorationReplay(setup: planted, bounds: bounds, path: found.path.actions)
            XCTAssertEqual(replay.firstViolation?.kind, kind, "\(name): the path replays to it")
        }
    }

    func testAStopFromOutsideStopsEveryThread() {
        let market = setup(peers: 3, buyers: 2)
        let explorer = Explorer(setup: market, bounds: ExplorationBounds(crashes: 1), search: .dfs)
        explorer.threads = 2
        var asked = 0
        explorer.shouldStop = {
            asked += 1
            return asked > 1
        }
        let result = explorer.run()
        XCTAssertTrue(result.interrupted)
        XCTAssertFalse(result.complete)
        XCTAssertNil(result.counterexample)
        XCTAssertGreaterThan(result.states, 256, "it went on until asked the second time")
    }
}
