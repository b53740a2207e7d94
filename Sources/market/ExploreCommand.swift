import ArgumentParser
import Foundation
import MarketCore
import MarketRuntime
import MarketScenarioFile
import MarketSimulation
import Synchronization

struct ExploreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explore",
        abstract: "Visit every reachable state of a small market (the real protocol code), checking every invariant in each.",
        discussion: """
        A step delivers the head of a FIFO link, fires a set timer, runs a store request or \
        hands its answer back, or injects a fault (crash, restart, pause, resume, a lost \
        message) within the bounds. A violation prints the shortest path to it and saves it \
        for --replay. Exit 0: complete and clean; 1: a violation; 130: stopped by Ctrl-C \
        (what was covered is printed).
        """
    )

    @Option(help: "Peers of the explored market (P0 upwards; the lowest --buyers buy salt, the others sell it).")
    var peers: Int = 3

    @Option(help: "Buyers among the peers.")
    var buyers: Int = 1

    @Option(help: "Requests per buyer (default 1; a scenario file's own when it sets them).")
    var requests: Int?

    @Option(help: "Crashes in one path (a crashed peer may restart).")
    var crashes: Int = 1

    @Option(help: "Pauses (SIGSTOP) in one path.")
    var pauses: Int = 0

    @Option(help: "Messages lost in one path.")
    var drops: Int = 0

    @Option(help: "How often each timeout (election, coordinator, request, deposit) of each peer may fire in one path.")
    var timerFirings: Int = 1

    @Option(help: "How often each peer's heartbeat timer may fire in one path.")
    var heartbeats: Int = 0

    @Option(help: ArgumentHelp("When a timer may fire: quiet (nothing in flight to a peer not paused: messages are faster than timeouts) or any (at every step).", valueName: "quiet|any"))
    var timing: ExplorationBounds.Timing = .quiet

    @Option(help: "The longest path explored (default: no bound but the others).")
    var depth: Int?

    @Option(help: "A built-in scenario or a JSON scenario file instead of --peers and --buyers (its planted_bug applies).")
    var scenario: String?

    @Flag(help: "Breadth-first search (the default): a violation's path is a shortest one.")
    var bfs = false

    @Flag(help: "Depth-first search: less memory, paths not the shortest.")
    var dfs = false

    @Flag(help: "Take every transition, without sleep sets (the same states; for measuring what they save).")
    var noSleepSets = false

    @Option(help: "Threads of a depth-first search without --depth (each state is expanded once, by whichever thread reaches it first).")
    var threads: Int = 1

    @Option(help: ArgumentHelp("Plant a bug the explorer must find: \(PlantedBug.names).", valueName: "bug"))
    var plantedBug: String?

    @Option(help: ArgumentHelp("Where a counterexample is saved.", valueName: "file"))
    var save = "explore-counterexample.json"

    @Option(help: ArgumentHelp("Take the steps of a saved counterexample again, printing each.", valueName: "file"))
    var replay: String?

    @Option(help: ArgumentHelp("Draw the counterexample (or the replayed path) as a space-time diagram: an SVG file when it ends in .svg, otherwise HTML.", valueName: "file"))
    var draw: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard (1...8).contains(peers) else { throw ValidationError("--peers must be 1 to 8") }
        guard (0...peers).contains(buyers) else { throw ValidationError("--buyers must be 0 to --peers (\(peers))") }
        if let requests, !(0...10).contains(requests) { throw ValidationError("--requests must be 0 to 10") }
        for (name, value) in [("--crashes", crashes), ("--pauses", pauses), ("--drops", drops), ("--timer-firings", timerFirings), ("--heartbeats", heartbeats)] {
            guard (0...20).contains(value) else { throw ValidationError("\(name) must be 0 to 20") }
        }
        if let depth, !(1...100_000).contains(depth) { throw ValidationError("--depth must be 1 to 100000") }
        guard !(bfs && dfs) else { throw ValidationError("--bfs and --dfs exclude each other") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1 to 64") }
        if threads > 1, !dfs || depth != nil {
            throw ValidationError("--threads above 1 needs --dfs without --depth (with a depth bound, depth-first search expands states again in an order threads would not fix)")
        }
        if let plantedBug, PlantedBug(rawValue: plantedBug) == nil {
            throw ValidationError("--planted-bug must be \(PlantedBug.names), not \(plantedBug)")
        }
    }

    /// The bugs planted for the explorer's own checks.
    enum PlantedBug: String, CaseIterable {
        /// Elections ask no higher peer (as a scenario file's `planted_bug` plants it).
        case claimAtOnce = "claim_at_once"
        /// A store that takes a deposed trader's writes.
        case unfencedStore = "unfenced_store"
        /// An order book that decides its head without waiting for stability.
        case unstableOrder = "unstable_order"

        static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    func run() throws {
        if let replay { return try replaySaved(replay) }
        let setup = try makeSetup()
        let bounds = ExplorationBounds(crashes: crashes, pauses: pauses, drops: drops, timerFirings: timerFirings, heartbeats: heartbeats, depth: depth, timing: timing)
        let explorer = Explorer(setup: setup, bounds: bounds, search: dfs ? .dfs : .bfs)
        explorer.threads = threads
        explorer.reduction = !noSleepSets
        let stop = StopRequest()
        explorer.shouldStop = { stop.raised }
        signal(SIGINT, SIG_IGN)
        let interruption = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interruption.setEventHandler { stop.raise() }
        interruption.resume()
        let interactive = isatty(STDERR_FILENO) == 1
        explorer.onProgress = { progress in
            let seconds = max(progress.elapsed.seconds, 1e-9)
            let line = String(format: "progress: %d states, depth %d, %.0f states/s", progress.states, progress.depth,
                              Double(progress.states) / seconds)
            DescriptorWriter.standardError.write(interactive ? "\r\u{1B}[K" + line : line + "\n")
        }
        let result = explorer.run()
        if interactive { DescriptorWriter.standardError.write("\r\u{1B}[K") }
        interruption.cancel()
        signal(SIGINT, SIG_DFL)
        let peakMB = Self.peakMemoryMB()
        if let counterexample = result.counterexample {
            try CounterexampleFile(setup: setup, bounds: bounds, violation: counterexample.violation,
                                   steps: counterexample.path.actions).write(to: save)
            if let draw {
                let replay = try ExplorationReplay(setup: setup, bounds: bounds, path: counterexample.path.actions)
                try CounterexampleDrawing.write(replay, setup: setup, violation: "\(counterexample.violation.kind.rawValue): \(counterexample.violation.detail)", to: draw)
            }
        }
        if json {
            print(try jsonText(result, setup: setup, bounds: bounds, peakMB: peakMB))
        } else {
            printSummary(result, setup: setup, bounds: bounds, peakMB: peakMB)
        }
        if !result.passed { throw ExitCode(ExitStatus.failed) }
        if result.interrupted { throw ExitCode(128 + SIGINT) }
    }

    private func makeSetup() throws -> ExplorationSetup {
        var built: Scenario
        if let scenario {
            if let file = try ScenarioFile.load(argument: scenario) {
                built = try file.scenario(seed: file.seed ?? 1, peerCount: nil)
                if file.requests == nil || requests != nil { built.requestsPerBuyer = requests ?? 1 }
            } else {
                let named = try BuiltInScenario.named(scenario)
                let sized = [.normal, .manyBuyers].contains(named) ? peers : nil
                built = try named.scenario(seed: 1, peers: sized)
                built.requestsPerBuyer = requests ?? 1
            }
            guard built.peers.count <= 8 else {
                throw ValidationError("\(scenario) has \(built.peers.count) peers; the explorer takes at most 8")
            }
        } else {
            built = ExplorationSetup.market(peers: peers, buyers: buyers, requests: requests ?? 1)
        }
        var setup = ExplorationSetup(scenario: built)
        switch plantedBug.flatMap(PlantedBug.init) {
        case .claimAtOnce?: setup.scenario.electionRule = .claimAtOnce
        case .unfencedStore?: setup.fencing = false
        case .unstableOrder?: setup.stabilityRule = .immediate
        case nil: break
        }
        return setup
    }

    private func describe(_ setup: ExplorationSetup, _ bounds: ExplorationBounds, search: ExplorationResult.Search) -> [String] {
        let scenario = setup.scenario
        let roles = scenario.peers.map { "P\($0.id) \($0.downAtStart ? "down" : "\($0.role.rawValue) \($0.product.rawValue)")" }
        var bugs: [String] = []
        if scenario.electionRule == .claimAtOnce { bugs.append("claim_at_once") }
        if !setup.fencing { bugs.append("unfenced_store") }
        if setup.stabilityRule == .immediate { bugs.append("unstable_order") }
        return [
            "explore \(scenario.name): \(roles.joined(separator: ", ")); \(scenario.requestsPerBuyer) request(s) per buyer; P\(scenario.firstElection) starts the first election"
                + (bugs.isEmpty ? "" : "; planted bug: \(bugs.joined(separator: ", "))"),
            "bounds: crashes \(bounds.crashes), pauses \(bounds.pauses), drops \(bounds.drops), timer firings \(bounds.timerFirings), heartbeats \(bounds.heartbeats), depth \(bounds.depth.map(String.init) ?? "unbounded"), timers fire \(bounds.timing == .quiet ? "when quiet" : "at any step"); \(search == .bfs ? "breadth-first" : "depth-first")\(threads > 1 ? " on \(threads) threads" : "")",
        ]
    }

    private func printSummary(_ result: ExplorationResult, setup: ExplorationSetup, bounds: ExplorationBounds, peakMB: Double) {
        describe(setup, bounds, search: result.search).forEach { print($0) }
        let seconds = result.elapsed.seconds
        print(String(format: "states %d, transitions %d, max depth %d, %.2f s (%.0f states/s), peak memory %.0f MB",
                     result.states, result.transitions, result.maxDepth, seconds, Double(result.states) / max(seconds, 1e-9), peakMB))
        print("at rest: \(result.terminalStates) states, \(result.judgedTerminalStates) judged (the others wait on a timer out of firings)"
              + (result.mendedPastTheBound > 0 ? "; \(result.mendedPastTheBound) break a property at rest that heartbeats past the bound mend (the bound, not a violation)" : "")
              + (result.cutByDepth > 0 ? "; \(result.cutByDepth) states cut by the depth bound" : ""))
        print("sometimes: a trade completes — \(reached(result.tradePath)); a takeover happens — \(reached(result.takeoverPath))")
        if let counterexample = result.counterexample {
            print("VIOLATION \(counterexample.violation.kind.rawValue): \(counterexample.violation.detail)")
            let search = result.search == .bfs ? "shortest path" : "path (depth-first: not the shortest)"
            print("\(search), \(counterexample.path.actions.count) steps:")
            if let replay = try? ExplorationReplay(setup: setup, bounds: bounds, path: counterexample.path.actions) {
                printSteps(replay)
            }
            print("saved to \(save); replay: market explore --replay \(save)" + (draw.map { "; drawn to \($0)" } ?? ""))
        } else if result.interrupted, result.search == .dfs {
            print("STOPPED: \(result.states) states visited (depth-first: no depth covered completely); no invariant broken so far")
        } else if result.interrupted {
            print("STOPPED: every state up to depth \(result.coveredDepth) visited (\(result.states) states); no invariant broken so far")
        } else {
            print("COMPLETE: every state reachable within the bounds visited; no invariant broken")
        }
    }

    private func reached(_ path: ExplorationResult.Path?) -> String {
        path.map { "reached in \($0.actions.count) steps" } ?? "not reached"
    }

    private func printSteps(_ replay: ExplorationReplay) {
        let width = String(replay.steps.count).count
        for (index, step) in replay.steps.enumerated() {
            let number = String(index + 1)
            print("  \(String(repeating: " ", count: width - number.count))\(number). \(step.description)")
            for violation in step.violations { print("     ✗ \(violation.kind.rawValue): \(violation.detail)") }
        }
        for violation in replay.restViolations { print("  at rest ✗ \(violation.kind.rawValue): \(violation.detail)") }
        if replay.mendedPastTheBound {
            print("  at rest: a property at rest broken that heartbeats past the bound mend (the bound, not a violation)")
        }
    }

    private func jsonText(_ result: ExplorationResult, setup: ExplorationSetup, bounds: ExplorationBounds, peakMB: Double) throws -> String {
        var object: [String: Any] = [
            "scenario": setup.scenario.name, "peers": setup.scenario.peers.count, "search": result.search.rawValue, "threads": threads,
            "crashes": bounds.crashes, "pauses": bounds.pauses, "drops": bounds.drops, "timer_firings": bounds.timerFirings, "heartbeats": bounds.heartbeats, "timing": bounds.timing.rawValue,
            "depth_bound": bounds.depth.map { $0 as Any } ?? NSNull(),
            "states": result.states, "transitions": result.transitions, "max_depth": result.maxDepth,
            "seconds": result.elapsed.seconds, "peak_memory_mb": peakMB, "complete": result.complete,
            "interrupted": result.interrupted, "covered_depth": result.coveredDepth,
            "terminal_states": result.terminalStates, "judged_terminal_states": result.judgedTerminalStates,
            "mended_past_the_bound": result.mendedPastTheBound,
            "trade_reached_in": result.tradePath.map { $0.actions.count as Any } ?? NSNull(),
            "takeover_reached_in": result.takeoverPath.map { $0.actions.count as Any } ?? NSNull(),
        ]
        if let counterexample = result.counterexample {
            object["violation"] = ["kind": counterexample.violation.kind.rawValue, "detail": counterexample.violation.detail,
                                   "steps": counterexample.path.actions.map(\.text), "saved_to": save]
        } else {
            object["violation"] = NSNull()
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    private func replaySaved(_ path: String) throws {
        let file = try CounterexampleFile.read(from: path)
        let replay: ExplorationReplay
        do {
            replay = try ExplorationReplay(setup: file.setup, bounds: file.bounds, path: try file.path)
        } catch {
            throw ValidationError("\(path): \(error)")
        }
        describe(file.setup, file.bounds, search: .bfs).dropLast().forEach { print($0) }
        print("replay of \(path), \(replay.steps.count) steps:")
        printSteps(replay)
        if let draw {
            try CounterexampleDrawing.write(replay, setup: file.setup, violation: file.violation, to: draw)
            print("drawn to \(draw)")
        }
        if let violation = replay.firstViolation {
            print("VIOLATION \(violation.kind.rawValue): \(violation.detail)")
            throw ExitCode(ExitStatus.failed)
        }
        print("no invariant broken on this path (saved as: \(file.violation))")
    }

    /// The process's peak resident memory (`ru_maxrss`), in MB.
    static func peakMemoryMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// Ctrl-C asks the search to stop; it stops between two states and reports what it covered.
private final class StopRequest: Sendable {
    private let flag = Atomic<Bool>(false)

    func raise() { flag.store(true, ordering: .relaxed) }

    var raised: Bool { flag.load(ordering: .relaxed) }
}

extension ExplorationBounds.Timing: ExpressibleByArgument {}
