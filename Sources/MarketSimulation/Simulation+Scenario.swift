import MarketCore

extension Simulation {
    /// A built-in scenario shaped for simulation: fewer requests, more faults.
    public static func scenario(_ builtIn: BuiltInScenario, seed: UInt64, options: SimulationOptions) throws -> Scenario {
        var scenario = try builtIn.scenario(seed: seed, peers: options.peers)
        var random = SplitMix64.derive(seed, 0x51C4)
        scenario.requestsPerBuyer = options.requestsPerBuyer
        scenario.sickRate = options.sickRate
        if let inFlight = options.inFlight { scenario.inFlight = inFlight }
        if !options.sickModes.isEmpty {
            scenario.sickMode = options.sickModes[Int(random.next() % UInt64(options.sickModes.count))]
        }
        try scenario.validate()
        return scenario
    }
}
