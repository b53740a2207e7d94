import ArgumentParser
import Foundation
import MarketCore
import MarketSimulation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the protocol in-process under virtual time and seeded faults, checking every invariant.",
        discussion: """
        Seed S+i runs scenario i mod (number of scenarios), so each seed names one exact run; \
        a failing seed prints the command that replays it. Same seeds, same output.
        """
    )

    @Option(help: "How many seeds to run.")
    var seeds: Int = 100

    @Option(help: "The first seed.")
    var seed: UInt64 = 1

    @Option(help: "Only this built-in scenario (default: all of them, in turn).")
    var scenario: String?

    @Option(help: "Peers for the normal scenario.")
    var peers: Int?

    @Option(help: "Requests per buyer in each simulated run.")
    var requests: Int = SimulationOptions().requestsPerBuyer

    @Option(help: "The trader's chance of falling sick after queueing a request (0 to 1).")
    var sickRate: Double = SimulationOptions().sickRate

    @Flag(help: "Print each failing run's last events.")
    var trace = false

    @Flag(help: "Print every event and every peer's log line (for replaying one seed).")
    var verbose = false

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard requests >= 0 else { throw ValidationError("--requests must be 0 or more") }
        guard (0...1).contains(sickRate) else { throw ValidationError("--sick-rate must be between 0 and 1") }
        if let peers, !(2...64).contains(peers) { throw ValidationError("--peers must be 2 to 64") }
    }

    func run() throws {
        var options = SimulationOptions()
        options.peers = peers
        options.requestsPerBuyer = requests
        options.sickRate = sickRate
        var scenarios = BuiltInScenario.allCases
        if let scenario {
            do throws(ScenarioError) {
                scenarios = [try BuiltInScenario.named(scenario)]
            } catch {
                throw ValidationError(error.description)
            }
        }
        let sweep = SeedSweep(scenarios: scenarios, firstSeed: seed, seeds: seeds, options: options)
        let started = ContinuousClock.now
        let interactive = isatty(STDERR_FILENO) == 1
        let summaries = try sweep.run(onTrace: verbose ? { print($0) } : nil) { index, _ in
            if interactive, (index + 1) % 50 == 0 || index + 1 == seeds {
                FileHandle.standardError.write(Data("\r\(index + 1)/\(seeds) seeds".utf8))
            }
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let elapsed = ContinuousClock.now - started

        let shown = summaries.filter { $0.seeds > 0 }
        let rows = shown.map {
            [$0.scenario, String($0.seeds), String($0.events), String($0.elections), String($0.takeovers),
             String($0.faults), String($0.failures.count)]
        }
        let width = max(8, scenarios.map(\.rawValue.count).max() ?? 0)
        for line in TextTable.lines(
            [["scenario", "seeds", "events", "elections", "takeovers", "faults", "violations"]] + rows,
            rightAligned: Set(1...6), minimumWidths: [width, 5, 8, 9, 9, 6, 10]) {
            print(line)
        }
        let failures = shown.flatMap(\.failures)
        let events = summaries.reduce(0) { $0 + $1.events }
        let seconds = elapsed.seconds
        FileHandle.standardError.write(Data(String(
            format: "%d events in %.2f s (%.0f events/s)\n", events, seconds, Double(events) / max(seconds, 1e-9)).utf8))
        for result in failures {
            guard let failure = result.failure else { continue }
            print("")
            print("seed \(result.seed) (\(result.scenario)) violated \(failure)")
            if trace {
                for line in failure.trace { print("  " + line) }
            }
            var replay = "market simulate --scenario \(result.scenario) --seed \(result.seed) --seeds 1"
            if let peers { replay += " --peers \(peers)" }
            if requests != SimulationOptions().requestsPerBuyer { replay += " --requests \(requests)" }
            if sickRate != SimulationOptions().sickRate { replay += " --sick-rate \(sickRate)" }
            print("replay: \(replay) --trace")
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
