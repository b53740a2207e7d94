import MarketCore
import MarketSimulation

public enum SimulatorBench {
    /// Simulated events per second over a fixed sweep of seeds across every scenario.
    public static func eventsPerSecond(seeds: Int = 200, repetitions: Int = 3) throws -> BenchFigure {
        var events = 0
        let sweep = SeedSweep(scenarios: BuiltInScenario.allCases, firstSeed: 1, seeds: seeds, options: SimulationOptions())
        events = try sweep.run().reduce(0) { $0 + $1.events }
        return try BenchFigure.median(
            "simulator event", repetitions: repetitions, operations: events,
            note: "\(seeds) seeds, all scenarios, faults on"
        ) {
            _ = try sweep.run()
        }
    }
}
