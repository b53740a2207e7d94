import MarketCore

/// Many seeds across scenarios, summed per scenario: what `market simulate` prints.
public struct SeedSweep: Sendable {
    /// One kind of run the sweep takes in turn: a built-in scenario, at a size of its own.
    public struct Slot: Hashable, Sendable {
        public var scenario: BuiltInScenario
        /// Peers, for the scenarios of variable size (nil: the options' peers, or the default).
        public var peers: Int?
        /// Requests per buyer (nil: the options').
        public var requests: Int?
        /// Links cut and healed in this slot's runs (nil: the options' nemesis, if any).
        public var nemesis: NemesisPlan?

        public init(_ scenario: BuiltInScenario, peers: Int? = nil, requests: Int? = nil, nemesis: NemesisPlan? = nil) {
            self.scenario = scenario
            self.peers = peers
            self.requests = requests
            self.nemesis = nemesis
        }

        /// `normal`, `normal×64` or `normal+nemesis`.
        public var name: String {
            (peers.map { "\(scenario.rawValue)×\($0)" } ?? scenario.rawValue) + (nemesis == nil ? "" : "+nemesis")
        }

        /// Every kind of nemesis, three actions of 0.4 s each: the sweep's seeds with network faults.
        public static let sweepNemesis = NemesisPlan(kinds: NemesisKind.allCases, interval: .milliseconds(400), actions: 3)

        /// `normal` and `test_case3` under `sweepNemesis`, each run held past the last heal.
        public static let withNemesis = [Slot(.normal, nemesis: sweepNemesis), Slot(.testCase3, nemesis: sweepNemesis)]

        /// A settled run under a slot's nemesis goes on until its last heal and a little more,
        /// so that every seed meets the whole of it.
        var holdUntil: Duration? {
            nemesis.flatMap { plan in plan.actions.map { plan.interval * (2 * $0 + 1) } }
        }

        /// Large runs: `normal` and `many_buyers` at each size, with few requests per buyer so
        /// that a seed stays short while elections, faults and takeovers still happen.
        public static func large(peers sizes: [Int], requests: Int = 3) -> [Slot] {
            sizes.flatMap { [Slot(.normal, peers: $0, requests: requests), Slot(.manyBuyers, peers: $0, requests: requests)] }
        }
    }

    @dynamicMemberLookup
    public struct Summary: Hashable, Sendable {
        public var scenario: String
        public var seeds = 0
        /// Every seed's counts added up; the virtual time is the sum over the seeds.
        public var counts = RunCounts()
        public var failures: [SimulationResult] = []

        public subscript<T>(dynamicMember keyPath: WritableKeyPath<RunCounts, T>) -> T {
            get { counts[keyPath: keyPath] }
            set { counts[keyPath: keyPath] = newValue }
        }

        /// Envelopes per decided buy, every kind counted.
        public var messagesPerDecision: Double {
            Double(counts.messages.values.reduce(0, +)) / Double(max(counts.decisions, 1))
        }

        /// Heartbeats per second of virtual time (per run, averaged over the seeds).
        public var heartbeatsPerSecond: Double {
            Double(counts.messages["heartbeat"] ?? 0) / max(counts.virtualTime.seconds, 1e-9)
        }
    }

    public var slots: [Slot]
    public var firstSeed: UInt64
    public var seeds: Int
    public var options: SimulationOptions
    /// A scenario of one's own (a scenario file's) instead of the slots' built-in ones, by seed.
    public var scenario: (@Sendable (UInt64) throws -> Scenario)?

    public init(slots: [Slot], firstSeed: UInt64, seeds: Int, options: SimulationOptions) {
        self.slots = slots
        self.firstSeed = firstSeed
        self.seeds = seeds
        self.options = options
    }

    public init(scenarios: [BuiltInScenario], firstSeed: UInt64, seeds: Int, options: SimulationOptions) {
        self.init(slots: scenarios.map { Slot($0) }, firstSeed: firstSeed, seeds: seeds, options: options)
    }

    /// Seed `firstSeed + i` runs slot `i mod count`, so every seed names one exact run.
    public func slot(forSeedIndex index: Int) -> Slot {
        slots[index % slots.count]
    }

    /// The scenario and options of one seed of a slot.
    public func run(of slot: Slot, seed: UInt64) throws -> (Scenario, SimulationOptions) {
        var options = options
        if let peers = slot.peers { options.peers = peers }
        if let requests = slot.requests { options.requestsPerBuyer = requests }
        if let nemesis = slot.nemesis {
            options.nemesis = nemesis
            options.holdUntil = max(options.holdUntil, slot.holdUntil ?? .zero)
        }
        if let scenario {
            var own = try scenario(seed)
            if let inFlight = options.inFlight { own.inFlight = inFlight }
            try own.validate()
            return (own, options)
        }
        return (try Simulation.scenario(slot.scenario, seed: seed, options: options), options)
    }

    /// Runs every seed; `progress` hears after each one.
    public func run(
        onTrace: ((String) -> Void)? = nil, progress: (Int, SimulationResult) -> Void = { _, _ in }
    ) throws -> [Summary] {
        var summaries = slots.map { Summary(scenario: $0.name) }
        for index in 0..<seeds {
            let seed = firstSeed &+ UInt64(index)
            let slot = index % slots.count
            let (scenario, options) = try run(of: slots[slot], seed: seed)
            let simulation = Simulation(scenario: scenario, options: options)
            simulation.onTrace = onTrace
            let result = simulation.run()
            summaries[slot].seeds += 1
            summaries[slot].counts.add(result.counts)
            if !result.passed { summaries[slot].failures.append(result) }
            progress(index, result)
        }
        return summaries
    }
}
