import Crypto
import Foundation
import MarketCore
import MarketRuntime
import MarketStore

/// The hosts plan of `market bench --hosts`: the one-host plan's figures again with the peers
/// on other hosts over ssh (TCP between them, the store on the PostgreSQL server `--db`
/// names), beside the sealed TCP round trip from this host to the first of them; and
/// failover when the trader's host is cut off, where the user says how to cut a host.
public struct HostsBench {
    public struct Setup: Sendable {
        public var hosts: [String]
        /// A postgresql:// URL every host reaches.
        public var database: String
        public var ssh: SSHCommand
        /// `market` on the hosts; nil: the bench's own path.
        public var remoteMarket: String?
        /// Shell commands with `{host}` where the host goes: cut it off the network, and heal it.
        public var cutCommand: String?
        public var healCommand: String?

        public init(hosts: [String], database: String, ssh: SSHCommand, remoteMarket: String?, cutCommand: String?,
                    healCommand: String?) {
            self.hosts = hosts
            self.database = database
            self.ssh = ssh
            self.remoteMarket = remoteMarket
            self.cutCommand = cutCommand
            self.healCommand = healCommand
        }
    }

    let setup: Setup
    let runner: MarketRunner
    let plan: SystemBench.Plan
    let progress: (String) -> Void
    var bench: SystemBench
    /// The runs that did not pass, with why (their figures are still read).
    var cutFailures: [String] = []

    public init(runner: MarketRunner, plan: SystemBench.Plan, setup: Setup, progress: @escaping (String) -> Void) {
        var runner = runner.with(databases: { [database = setup.database] in database }, durability: .normal)
        runner.extraArguments = ["--hosts", setup.hosts.joined(separator: ",")]
            + (setup.remoteMarket.map { ["--remote-market", $0] } ?? [])
        // A run over ssh starts a session a peer, and a crashed peer again: the one-host plan's
        // quick limit (12 s) ends runs that are only slow to start.
        var plan = plan
        plan.timeLimit = max(plan.timeLimit, 60)
        self.setup = setup
        self.runner = runner
        self.plan = plan
        self.progress = progress
        bench = SystemBench(runner: runner, plan: plan, progress: progress)
    }

    var remoteMarket: String { setup.remoteMarket ?? runner.market.path }

    /// The first host reached over ssh (`local` is this one): the far end of the round trip,
    /// and the host that is cut off.
    var firstRemote: String? { setup.hosts.first { $0 != HostPlacement.localWord } }

    /// Every figure of the plan, in the order the table shows them.
    public mutating func measure(roundTrips: Int, repetitions: Int) throws -> HostsFigures {
        guard let far = firstRemote else { throw BenchError.system("--hosts names no host but this one (local)") }
        progress("across hosts: the sealed TCP round trip to \(far)")
        let floor = try sealedRoundTrip(to: far, iterations: roundTrips, repetitions: repetitions)
        progress("across hosts: sequential buys")
        let sequential = try bench.sequential()
        progress("across hosts: throughput at 16 peers")
        let scale = try bench.scale(peers: 16)
        progress("across hosts: failover, the trader killed")
        let killed = try bench.failover(.crash)
        progress("across hosts: failover, the trader's host cut off")
        let cut: CutFailover
        do {
            cut = try cutFailover()
        } catch {
            cutFailures.append("failover with \(far) cut off: \(error)")
            cut = CutFailover(milliseconds: nil, notMeasured: "\(error)")
        }
        return HostsFigures(hosts: setup.hosts, roundTrip: floor, sequential: sequential, throughput: scale, failover: killed,
                            cut: cut, failedRuns: bench.failures + cutFailures)
    }

    /// The sealed round trip from this host to a `market sealed-echo` started on `host` over
    /// ssh: the key goes over the session, the echo listens on the address ssh reached.
    func sealedRoundTrip(to host: String, iterations: Int, repetitions: Int) throws -> BenchFigure {
        let key = SymmetricKey(size: .bits256)
        let echo = Process()
        echo.executableURL = URL(fileURLWithPath: setup.ssh.executable)
        echo.arguments = Array(setup.ssh.argv(destination: host, remote: ["exec", remoteMarket, "sealed-echo"]).dropFirst())
        let input = Pipe()
        let output = Pipe()
        echo.standardInput = input
        echo.standardOutput = output
        echo.standardError = FileHandle.nullDevice
        try echo.run()
        defer {
            try? input.fileHandleForWriting.close()
            if echo.isRunning { echo.terminate() }
            echo.waitUntilExit()
        }
        input.fileHandleForWriting.write(Data(SealedEchoServer.keyLine(key).utf8))
        var said = Data()
        while !said.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw BenchError.system("market sealed-echo on \(host) ended before it listened (is the same market there?)")
            }
            said.append(chunk)
        }
        let words = String(decoding: said, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count == 3, words[0] == "listening", let port = Int(words[2]) else {
            throw BenchError.system("market sealed-echo on \(host) said '\(String(decoding: said, as: UTF8.self))'")
        }
        let fd = try SocketPair.connected(to: String(words[1]), port: port)
        defer { close(fd) }
        return try Floors.sealedRoundTrip(fd, key: key, name: "TCP round trip to \(host), sealed (64 B)", iterations: iterations,
                                          repetitions: repetitions,
                                          note: "floor between hosts: from the bench's host to \(host)'s market sealed-echo")
    }

    /// test_case3 with its trader P6 alone on the first remote host and the others on the rest:
    /// once decisions flow, that host is cut off (`--cut-host-command`), and the figure is the
    /// time from the cut command's return to the first decision of a newer epoch. The host is
    /// healed as soon as that decision is seen (a cut shorter than the supervisor's 6 s to find
    /// a host gone, so the old trader comes back fenced), and the run goes on to its end.
    mutating func cutFailover() throws -> CutFailover {
        guard let cut = setup.cutCommand, let heal = setup.healCommand else {
            return CutFailover(milliseconds: nil, notMeasured: "no --cut-host-command and --heal-host-command: this host cannot cut one")
        }
        guard setup.hosts.count >= 2, let victim = firstRemote else {
            return CutFailover(milliseconds: nil, notMeasured: "needs two hosts: the trader's alone, the others on the rest")
        }
        let scenario = runner.scratch.appendingPathComponent("hosts-cut.json")
        let others = setup.hosts.filter { $0 != victim }.map { "\"\($0)\"" }.joined(separator: ", ")
        try """
            {"name": "hosts_cut", "base": "test_case3", "requests": \(max(60, plan.failoverRequests)), "sick_rate": 0, "hosts": [\(others)],
             "peers": [{"role": "buyer", "product": "salt"}, {"role": "seller", "product": "salt"}, {"role": "seller", "product": "boar"},
                       {"role": "buyer", "product": "salt"}, {"role": "seller", "product": "fish"}, {"role": "seller", "product": "salt"},
                       {"role": "seller", "product": "boar", "host": "\(victim)"}]}
            """.write(to: scenario, atomically: true, encoding: .utf8)

        let history = try MarketDatabase.open(path: setup.database)
        let before = try history.latestRunID() ?? 0
        let arguments = ["--scenario", scenario.path, "--seed", "3", "--time-limit", String(max(60, plan.timeLimit))]
        let started = ContinuousClock.now
        let finished = DispatchGroup()
        let outcome = OutcomeBox()
        DispatchQueue.global().async(group: finished) { [runner] in outcome.set(Result { try runner.run(arguments) }) }

        func waitFor<T>(_ what: String, seconds: Double, _ found: () throws -> T?) throws -> T {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if let value = try found() { return value }
                if finished.wait(timeout: .now()) == .success { break }
                usleep(20_000)
            }
            throw BenchError.system("failover with \(victim) cut off: \(what) did not happen within \(Int(seconds)) s")
        }
        var healed = false
        defer {
            if !healed { _ = try? Self.shell(heal, host: victim) }
            finished.wait()
        }
        let runID = try waitFor("the run's start", seconds: 60) { try history.latestRunID().flatMap { $0 > before ? $0 : nil } }
        let epoch = try waitFor("a first decision", seconds: 60) { () -> Epoch? in
            let progress = try history.progress(runID: runID)
            return progress.decided > 0 ? progress.epoch : nil
        }
        try Self.shell(cut, host: victim)
        let cutAt = Timestamp.microseconds(Date())
        let successor = try waitFor("a decision under a new trader", seconds: 60) { try history.firstDecision(runID: runID, after: epoch) }
        try Self.shell(heal, host: victim)
        healed = true
        finished.wait()
        let run = try outcome.get()
        progress(String(format: "  market run %@ (%.1f s)%@", arguments.joined(separator: " "), (ContinuousClock.now - started).seconds,
                        run.failure.map { ": did not pass, \($0)" } ?? ""))
        if let failure = run.failure { cutFailures.append("market run (\(victim) cut off): \(failure)") }
        return CutFailover(milliseconds: Double(successor - cutAt) / 1000, notMeasured: nil)
    }

    /// Runs the user's command with `{host}` replaced; one line naming it if it fails.
    static func shell(_ template: String, host: String) throws {
        let command = template.replacingOccurrences(of: "{host}", with: host)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError.system("'\(command)' exited \(process.terminationStatus)")
        }
    }
}

/// The failover figure of a cut host, or why it was not measured.
public struct CutFailover: Sendable, Encodable {
    public var milliseconds: Double?
    public var notMeasured: String?
}

/// The hosts plan's figures, beside the one-host plan's in the table and in `--json` (`hosts`).
public struct HostsFigures: Sendable, Encodable {
    public var hosts: [String]
    public var roundTrip: BenchFigure
    public var sequential: SystemBench.Sequential
    public var throughput: SystemBench.ScalePoint
    /// Milliseconds from each kill of the trader to its successor's first decision.
    public var failover: [Double]
    public var cut: CutFailover
    public var failedRuns: [String]

    enum CodingKeys: String, CodingKey {
        case hosts
        case roundTrip = "tcp_rtt_us"
        case sequentialSeconds = "sequential_s"
        case sequentialP50 = "sequential_p50_us"
        case sequentialP99 = "sequential_p99_us"
        case throughput = "throughput_buys_per_s"
        case messagesPerBuy = "messages_per_buy"
        case failover = "failover_ms"
        case failoverSamples = "failover_samples"
        case failoverCut = "failover_cut_ms"
        case failoverCutNotMeasured = "failover_cut_not_measured"
        case failedRuns = "failed_runs"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hosts, forKey: .hosts)
        try container.encode(roundTrip.microseconds, forKey: .roundTrip)
        try container.encode(sequential.seconds, forKey: .sequentialSeconds)
        try container.encode(sequential.p50, forKey: .sequentialP50)
        try container.encode(sequential.p99, forKey: .sequentialP99)
        try container.encode(throughput.buysPerSecond, forKey: .throughput)
        try container.encode(throughput.messagesPerBuy, forKey: .messagesPerBuy)
        try container.encode(failover.median() ?? 0, forKey: .failover)
        try container.encode(failover.count, forKey: .failoverSamples)
        try container.encodeIfPresent(cut.milliseconds, forKey: .failoverCut)
        try container.encodeIfPresent(cut.notMeasured, forKey: .failoverCutNotMeasured)
        try container.encode(failedRuns, forKey: .failedRuns)
    }
}

private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<MarketRunner.Outcome, any Error>?

    func set(_ value: Result<MarketRunner.Outcome, any Error>) { lock.withLock { result = value } }
    func get() throws -> MarketRunner.Outcome {
        guard let result = lock.withLock({ result }) else { throw BenchError.system("the run left no outcome") }
        return try result.get()
    }
}
