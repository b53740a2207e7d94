import Foundation
import MarketCore

/// Whole runs of real peer processes, timed from outside: `market run` on test_case2 without
/// sickness, one buyer sending its requests one after another. Two sizes are run and the
/// difference taken, so process start-up and the first election drop out of the figure.
public enum EndToEndBench {
    public static func sequentialBuy(
        market: URL, small: Int = 100, large: Int = 400, repetitions: Int = 3, durability: String = "normal"
    ) throws -> BenchFigure {
        var samples: [Double] = []
        for repetition in 0..<repetitions {
            let short = try run(market, requests: small, seed: UInt64(repetition + 1), durability: durability)
            let long = try run(market, requests: large, seed: UInt64(repetition + 1), durability: durability)
            samples.append(max(0, long - short) / Double(large - small))
        }
        return BenchFigure(
            name: "sequential buy, end to end (\(durability))", secondsPerOperation: samples.median() ?? 0,
            repetitions: samples,
            note: "test_case2, sick rate 0: (wall(\(large)) − wall(\(small))) / \(large - small) requests")
    }

    /// Wall seconds of one `market run` into a scratch database; fails if the run did not pass.
    static func run(_ market: URL, requests: Int, seed: UInt64, durability: String) throws -> Double {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let process = Process()
        process.executableURL = market
        process.arguments = [
            "run", "--scenario", "test_case2", "--sick-rate", "0", "--requests", String(requests), "--seed", String(seed),
            "--durability", durability, "--db", directory.appendingPathComponent("bench.db").path, "--json",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        guard process.terminationStatus == 0 else {
            throw BenchError.system("market run --scenario test_case2 --requests \(requests) exited \(process.terminationStatus)")
        }
        return elapsed.seconds
    }
}
