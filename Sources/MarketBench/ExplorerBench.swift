import Foundation
import MarketCore

/// `market explore` at fixed bounds, each in a process of its own (so its peak memory is its
/// own): states, transitions, depth, time and memory, as the README's table gives them.
public enum ExplorerBench {
    public struct Bounds: Sendable {
        public var peers: Int
        public var buyers: Int
        public var requests: Int
        public var crashes: Int
        public var pauses = 0
        public var drops = 0
        /// Above 1: depth-first search on this many threads (breadth-first otherwise).
        public var threads = 1

        public init(peers: Int, buyers: Int, requests: Int, crashes: Int, pauses: Int = 0, drops: Int = 0, threads: Int = 1) {
            self.peers = peers
            self.buyers = buyers
            self.requests = requests
            self.crashes = crashes
            self.pauses = pauses
            self.drops = drops
            self.threads = threads
        }

        /// Every bound named, so that two rows are compared only when their bounds are the same.
        public var label: String {
            "\(peers) peers, \(buyers) buyer\(buyers == 1 ? "" : "s"), \(requests) request\(requests == 1 ? "" : "s") each, \(crashes) crash\(crashes == 1 ? "" : "es")"
                + (pauses > 0 ? ", \(pauses) pause\(pauses == 1 ? "" : "s")" : "") + (drops > 0 ? ", \(drops) lost message\(drops == 1 ? "" : "s")" : "")
                + (threads > 1 ? "; depth-first on \(threads) threads" : "")
        }
        var arguments: [String] {
            ["explore", "--peers", "\(peers)", "--buyers", "\(buyers)", "--requests", "\(requests)", "--crashes", "\(crashes)",
             "--pauses", "\(pauses)", "--drops", "\(drops)", "--json"] + (threads > 1 ? ["--dfs", "--threads", "\(threads)"] : [])
        }
    }

    public struct Row: Sendable, Codable {
        public var bounds: String
        public var states: Int
        public var transitions: Int
        public var maxDepth: Int
        public var seconds: Double
        /// Processor time (user and system): what the search cost, whatever else ran on the machine.
        public var cpuSeconds: Double
        public var peakMemoryMB: Double
        public var complete: Bool

        enum CodingKeys: String, CodingKey {
            case bounds, states, transitions, complete
            case maxDepth = "max_depth"
            case seconds
            case cpuSeconds = "cpu_seconds"
            case peakMemoryMB = "peak_memory_mb"
        }
    }

    /// Smoke: the tests' plan; quick: under ten seconds; full: the first goal's bound (also
    /// depth-first on both cores, the search the larger bounds need) and every kind of fault
    /// too (a minute or so in a release build).
    public static func plan(smoke: Bool, quick: Bool) -> [Bounds] {
        if smoke { return [Bounds(peers: 2, buyers: 1, requests: 1, crashes: 0)] }
        let small = Bounds(peers: 3, buyers: 1, requests: 1, crashes: 0)
        if quick { return [small] }
        return [small, Bounds(peers: 3, buyers: 1, requests: 1, crashes: 1), Bounds(peers: 3, buyers: 1, requests: 2, crashes: 1),
                Bounds(peers: 3, buyers: 1, requests: 2, crashes: 1, threads: 2),
                Bounds(peers: 2, buyers: 1, requests: 1, crashes: 1, pauses: 1, drops: 1)]
    }

    public enum Failure: Error, CustomStringConvertible {
        case failed(String, status: Int32, output: String)

        public var description: String {
            switch self {
            case .failed(let bounds, let status, let output): "market explore (\(bounds)) exited \(status): \(output.prefix(300))"
            }
        }
    }

    /// The explorer at `bounds`, run by the `market` executable at `market`.
    public static func row(market: URL, bounds: Bounds) throws -> Row {
        let process = Process()
        process.executableURL = market
        process.arguments = bounds.arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        var before = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &before)
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var after = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &after)
        let text = String(decoding: data, as: UTF8.self)
        struct Printed: Decodable {
            var states: Int
            var transitions: Int
            var max_depth: Int
            var seconds: Double
            var peak_memory_mb: Double
            var complete: Bool
        }
        guard process.terminationStatus == 0, let printed = try? JSONDecoder().decode(Printed.self, from: data) else {
            throw Failure.failed(bounds.label, status: process.terminationStatus, output: text)
        }
        return Row(bounds: bounds.label, states: printed.states, transitions: printed.transitions, maxDepth: printed.max_depth,
                   seconds: printed.seconds, cpuSeconds: seconds(after) - seconds(before), peakMemoryMB: printed.peak_memory_mb,
                   complete: printed.complete)
    }

    private static func seconds(_ usage: rusage) -> Double {
        Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
