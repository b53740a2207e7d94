import ArgumentParser
import Foundation
import MarketCore
import MarketRuntime
import MarketScenarioFile
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

    @Option(help: "Only this built-in scenario, or a JSON scenario file whose knobs apply as they are (default: every built-in one, in turn, and the large runs).")
    var scenario: String?

    @Option(help: ArgumentHelp(
        "Also run normal and many_buyers at these sizes, 3 requests per buyer (comma-separated, or none).",
        valueName: "sizes"))
    var largePeers = "64"

    @Option(help: "Peers for the normal and many_buyers scenarios.")
    var peers: Int?

    @Option(help: "Requests per buyer in each simulated run.")
    var requests: Int = SimulationOptions().requestsPerBuyer

    @Option(help: ArgumentHelp("Requests each buyer keeps in flight (default: the scenario's, 1 unless its file says in_flight).", valueName: "D"))
    var inFlight: Int?

    @Option(help: "The trader's chance of falling sick after queueing a request (0 to 1).")
    var sickRate: Double = SimulationOptions().sickRate

    @Flag(inversion: .prefixedNo, help: "Pause the trader at a commit in half the seeds, so it wakes as a zombie.")
    var pauses = true

    @Option(help: ArgumentHelp("Keep each settled run going until this virtual time, to measure an idle market.", valueName: "seconds"))
    var hold: Double = 0

    @Flag(help: "Print the messages sent per decided buy, by kind, and heartbeats per virtual second.")
    var stats = false

    @Option(help: ArgumentHelp("Plant a bug the sweep must catch: claim_at_once (elections ask no higher peer) or trusts_claims (peers believe any frame's word on who trades).", valueName: "bug"))
    var plantedBug: String?

    @OptionGroup var network: NemesisFlags

    @Option(help: ArgumentHelp("Nemesis actions per seed before it heals for good (the run must settle after).", valueName: "count"))
    var nemesisActions = 3

    @Flag(help: "Add normal+nemesis and test_case3+nemesis to the sweep: every kind of nemesis, three actions of 0.4 s.")
    var nemesisSlots = false

    @Flag(help: "Print each failing run's last events.")
    var trace = false

    @Flag(help: "Print every event and every peer's log line (for replaying one seed).")
    var verbose = false

    func validate() throws {
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard (0...ScenarioLimits.maxRequestsPerBuyer).contains(requests) else {
            throw ValidationError("--requests must be 0 to \(ScenarioLimits.maxRequestsPerBuyer)")
        }
        guard (0...1).contains(sickRate) else { throw ValidationError("--sick-rate must be between 0 and 1") }
        if let inFlight, !(1...ScenarioLimits.maxInFlight).contains(inFlight) {
            throw ValidationError("--in-flight must be 1 to \(ScenarioLimits.maxInFlight)")
        }
        let range = BuiltInScenario.peerRange
        if let peers, !range.contains(peers) {
            throw ValidationError("--peers must be \(range.lowerBound) to \(range.upperBound)")
        }
        guard (0...3600).contains(hold) else { throw ValidationError("--hold must be 0 to 3600 seconds") }
        _ = try plantedRule()
        _ = try largeSizes()
        guard (1...1000).contains(nemesisActions) else { throw ValidationError("--nemesis-actions must be 1 to 1000") }
    }

    private func plantedRule() throws -> ElectionRule {
        switch plantedBug {
        case nil: .bully
        case "claim_at_once": .claimAtOnce
        case "trusts_claims": .trustsClaims
        case let other?: throw ValidationError("--planted-bug must be claim_at_once or trusts_claims, not \(other)")
        }
    }

    func run() throws {
        var options = SimulationOptions()
        options.peers = peers
        options.requestsPerBuyer = requests
        options.sickRate = sickRate
        options.inFlight = inFlight
        options.pauses = pauses
        options.holdUntil = .milliseconds(Int64(hold * 1000))
        options.electionRule = try plantedRule()
        options.nemesis = try network.plan(actions: nemesisActions)
        options.links = try network.conditions()
        var slots = BuiltInScenario.allCases.map { SeedSweep.Slot($0) } + SeedSweep.Slot.large(peers: try largeSizes())
            + (network.nemesis == nil && nemesisSlots ? SeedSweep.Slot.withNemesis : [])
        var file: ScenarioFile?
        if let scenario {
            file = try ScenarioFile.load(argument: scenario)
            // A file's scenario is built per seed below; the slot only carries its sizes.
            slots = [SeedSweep.Slot(file == nil ? try BuiltInScenario.named(scenario) : .normal)]
        }
        var sweep = SeedSweep(slots: slots, firstSeed: seed, seeds: seeds, options: options)
        if let file {
            let peers = peers
            sweep.scenario = { seed throws(ScenarioError) in try file.scenario(seed: seed, peerCount: peers) }
        }
        let started = ContinuousClock.now
        let interactive = isatty(STDERR_FILENO) == 1
        let summaries = try sweep.run(onTrace: verbose ? { print($0) } : nil) { index, _ in
            if interactive, (index + 1) % 50 == 0 || index + 1 == seeds {
                DescriptorWriter.standardError.write("\r\(index + 1)/\(seeds) seeds")
            }
        }
        if interactive { DescriptorWriter.standardError.write("\r\u{1B}[K") }
        let elapsed = ContinuousClock.now - started

        let shown = zip(summaries, slots).filter { $0.0.seeds > 0 }
        let rows = shown.map { summary, slot in
            [file == nil ? slot.name : scenario ?? slot.name, String(summary.seeds), String(summary.events), String(summary.elections),
             String(summary.takeovers), String(summary.faults), String(summary.failures.count)]
        }
        for line in TextTable.lines(
            [["scenario", "seeds", "events", "elections", "takeovers", "faults", "violations"]] + rows,
            rightAligned: Set(1...6), minimumWidths: [8, 5, 8, 9, 9, 6, 10]) {
            print(line)
        }
        if stats {
            print("")
            printStats(shown.map(\.0))
        }
        if options.nemesis != nil || !options.links.isClear {
            let total = summaries.reduce(into: RunCounts()) { $0.add($1.counts) }
            print("")
            print("network: \(total.nemesisActions) nemesis actions, \(total.dropped) frames lost to cuts, "
                + "\(total.retransmitted) transmissions lost and sent again")
        }
        let failures = shown.flatMap { summary, slot in summary.failures.map { ($0, slot) } }
        let events = summaries.reduce(0) { $0 + $1.events }
        let seconds = elapsed.seconds
        DescriptorWriter.standardError.write(String(
            format: "%d events in %.2f s (%.0f events/s)\n", events, seconds, Double(events) / max(seconds, 1e-9)))
        for (result, slot) in failures {
            guard let failure = result.failure else { continue }
            print("")
            print("seed \(result.seed) (\(file == nil ? slot.name : scenario ?? slot.name)) violated \(failure)")
            if trace {
                for line in failure.trace { print("  " + line) }
            }
            var replay = "market simulate --scenario \(file == nil ? result.scenario : scenario ?? result.scenario) --seed \(result.seed) --seeds 1"
            if let peers = slot.peers ?? peers { replay += " --peers \(peers)" }
            let requests = slot.requests ?? requests
            if requests != SimulationOptions().requestsPerBuyer { replay += " --requests \(requests)" }
            if sickRate != SimulationOptions().sickRate { replay += " --sick-rate \(sickRate)" }
            if let inFlight { replay += " --in-flight \(inFlight)" }
            if !pauses { replay += " --no-pauses" }
            if hold != 0 { replay += " --hold \(hold)" }
            if let plan = slot.nemesis, network.nemesis == nil {
                replay += " --nemesis \(plan.kinds.map(\.rawValue).joined(separator: ",")) --nemesis-interval \(plan.interval.seconds)"
                    + " --nemesis-actions \(plan.actions ?? 3)"
                if hold == 0, let actions = plan.actions { replay += " --hold \(plan.interval.seconds * Double(2 * actions + 1))" }
            }
            replay += network.replayArguments
            if network.nemesis != nil, nemesisActions != 3 { replay += " --nemesis-actions \(nemesisActions)" }
            print("replay: \(replay) --trace")
        }
        if !failures.isEmpty { throw ExitCode(ExitStatus.failed) }
    }

    private func largeSizes() throws -> [Int] {
        guard largePeers != "none" else { return [] }
        let range = BuiltInScenario.peerRange
        return try largePeers.split(separator: ",").map { text in
            guard let size = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(size) else {
                throw ValidationError("--large-peers takes sizes from \(range.lowerBound) to \(range.upperBound), or none")
            }
            return size
        }
    }

    /// Traffic in virtual time: what each decided buy cost, and the heartbeat rate.
    private func printStats(_ summaries: [SeedSweep.Summary]) {
        let rows = summaries.map { summary in
            let decisions = Double(max(summary.decisions, 1))
            let kinds = summary.messages.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            let perBuy = kinds.map { "\($0.key) " + String(format: "%.2f", Double($0.value) / decisions) }
            return [
                summary.scenario, String(summary.decisions),
                summary.decisions == 0 ? "-" : String(format: "%.2f", summary.messagesPerDecision),
                String(format: "%.0f", summary.heartbeatsPerSecond),
                summary.decisions == 0 ? "(no buys)" : perBuy.joined(separator: ", "),
            ]
        }
        for line in TextTable.lines(
            [["scenario", "decided", "msgs/buy", "heartbeats/s", "by kind (per decided buy)"]] + rows,
            rightAligned: [1, 2, 3], minimumWidths: [8]) {
            print(line)
        }
    }
}
