import MarketCore

/// Many seeds across scenarios, summed per scenario: what `market simulate` prints.
public struct SeedSweep: Sendable {
    public struct Summary: Hashable, Sendable {
        public var scenario: String
        public var seeds = 0
        public var events = 0
        public var elections = 0
        public var takeovers = 0
        public var faults = 0
        public var decisions = 0
        public var virtualTime: Duration = .zero
        /// Envelopes sent, by message kind, over every seed.
        public var messages: [String: Int] = [:]
        public var failures: [SimulationResult] = []

        /// Envelopes per decided buy, every kind counted.
        public var messagesPerDecision: Double {
            Double(messages.values.reduce(0, +)) / Double(max(decisions, 1))
        }

        /// Heartbeats per second of virtual time (per run, averaged over the seeds).
        public var heartbeatsPerSecond: Double {
            let seconds = Double(virtualTime.components.seconds) + Double(virtualTime.components.attoseconds) / 1e18
            return Double(messages["heartbeat"] ?? 0) / max(seconds, 1e-9)
        }
    }

    public var scenarios: [BuiltInScenario]
    public var firstSeed: UInt64
    public var seeds: Int
    public var options: SimulationOptions

    public init(scenarios: [BuiltInScenario], firstSeed: UInt64, seeds: Int, options: SimulationOptions) {
        self.scenarios = scenarios
        self.firstSeed = firstSeed
        self.seeds = seeds
        self.options = options
    }

    /// Seed `firstSeed + i` runs scenario `i mod count`, so every seed names one exact run.
    public func scenario(forSeedIndex index: Int) -> BuiltInScenario {
        scenarios[index % scenarios.count]
    }

    /// Runs every seed; `progress` hears after each one.
    public func run(
        onTrace: ((String) -> Void)? = nil, progress: (Int, SimulationResult) -> Void = { _, _ in }
    ) throws -> [Summary] {
        var summaries = scenarios.map { Summary(scenario: $0.rawValue) }
        for index in 0..<seeds {
            let seed = firstSeed &+ UInt64(index)
            let slot = index % scenarios.count
            let scenario = try Simulation.scenario(scenarios[slot], seed: seed, options: options)
            let simulation = Simulation(scenario: scenario, options: options)
            simulation.onTrace = onTrace
            let result = simulation.run()
            summaries[slot].seeds += 1
            summaries[slot].events += result.events
            summaries[slot].elections += result.elections
            summaries[slot].takeovers += result.takeovers
            summaries[slot].faults += result.faults
            summaries[slot].decisions += result.decisions
            summaries[slot].virtualTime += result.virtualTime
            summaries[slot].messages.merge(result.messages, uniquingKeysWith: +)
            if !result.passed { summaries[slot].failures.append(result) }
            progress(index, result)
        }
        return summaries
    }
}
