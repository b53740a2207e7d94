import Foundation
import MarketStore

/// One real `market run` (real processes, sockets and SQLite) into a database of its own, for
/// the benchmark to read its figures back from the history.
public struct MarketRunner: Sendable {
    /// The `market` binary to start.
    public let market: URL
    /// Where the runs' databases go (removed by `removeScratch()`).
    public let scratch: URL
    /// Each run's database when it is not a fresh SQLite file under `scratch`: a PostgreSQL URL.
    public var databases: (@Sendable () throws -> String)?
    /// Every run's `--durability`: SQLite's synchronous, PostgreSQL's synchronous_commit.
    public var durability: Durability = .normal
    /// Given to every run besides its own (the hosts plan's `--hosts`).
    public var extraArguments: [String] = []

    public init(market: URL) throws {
        self.market = market
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("market-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    public func removeScratch() {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// What one run left: its database (one run in it) and what was seen from outside.
    public struct Outcome: Sendable {
        public var database: String
        public var arguments: [String]
        /// The largest peak resident set of any peer process, in bytes.
        public var largestPeerRSS: Int
        /// Why the run did not pass (it failed, hit its time limit, or its check found a
        /// violation); its history still says how far it got.
        public var failure: String?
    }

    /// The same runner with its runs in other databases, or at another durability.
    public func with(databases: (@Sendable () throws -> String)?, durability: Durability) -> MarketRunner {
        var runner = self
        runner.databases = databases
        runner.durability = durability
        return runner
    }

    /// Runs `market run ARGUMENTS --durability D --db <fresh> --json`; throws only when it could not start.
    public func run(_ arguments: [String]) throws -> Outcome {
        let database = try databases?() ?? scratch.appendingPathComponent("run-\(UUID().uuidString).db").path
        let all = ["run"] + arguments + extraArguments + ["--durability", durability.rawValue, "--db", database, "--json"]
        let process = Process()
        process.executableURL = market
        process.arguments = all
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let collected = ErrorText()
        // Read by a thread of its own, not a readabilityHandler: Foundation's dispatch source was
        // seen crashing the bench (a bad pointer in libdispatch) after a child wrote a long backtrace.
        let reader = DispatchGroup()
        let handle = errors.fileHandleForReading
        try process.run()
        DispatchQueue.global().async(group: reader) {
            while case let data = handle.availableData, !data.isEmpty { collected.append(data) }
        }
        let memory = PeerMemory(supervisor: process.processIdentifier)
        while process.isRunning {
            memory.sample()
            usleep(100_000)
        }
        process.waitUntilExit()
        // A peer the supervisor left behind may still hold the pipe: its last line is not worth waiting for.
        _ = reader.wait(timeout: .now() + 5)
        let failure = process.terminationStatus == 0 ? nil : "exited \(process.terminationStatus): \(collected.lastLine)"
        guard databases != nil || FileManager.default.fileExists(atPath: database) else {
            throw BenchError.system("market \(all.joined(separator: " ")) left no database (\(failure ?? "exited 0"))")
        }
        return Outcome(database: database, arguments: arguments, largestPeerRSS: memory.largest, failure: failure)
    }
}

/// The standard error of a child, kept to explain its failure.
private final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.lock()
        defer { lock.unlock() }
        data.append(more.suffix(4096))
        if data.count > 8192 { data = data.suffix(4096) }
    }

    var lastLine: String {
        lock.lock()
        defer { lock.unlock() }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).last.map(String.init) ?? "(nothing on stderr)"
    }
}
