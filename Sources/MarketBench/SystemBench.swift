import Foundation
import MarketCore
import MarketStore

/// The issue's figures, each from real `market run`s read back from their histories:
/// sequential buys, throughput as peers and buyers grow, failover, the lab's table.
public struct SystemBench {
    /// How much to run: the full plan takes minutes, the quick one under a minute.
    public struct Plan: Sendable {
        public var sequentialRuns: Int
        public var sequentialRequests: Int
        /// Buys in a throughput run (spread over its buyers), and in a traced one.
        public var scaleBuys: Int
        public var tracedBuys: Int
        /// Throughput from its own untraced run (tracing writes every message down).
        public var untracedThroughput: Bool
        public var failoverSeeds: [UInt64]
        public var failoverRequests: Int
        public var failoverSickRate: Double
        public var labRequests: Int
        /// Seconds a run may take (`--time-limit`): a run that does not settle ends there, and
        /// its history still gives the figures, marked as a run that did not pass.
        public var timeLimit: Int

        public static let full = Plan(
            sequentialRuns: 3, sequentialRequests: 1000, scaleBuys: 4800, tracedBuys: 1200, untracedThroughput: true,
            failoverSeeds: [1, 2, 3], failoverRequests: 1000, failoverSickRate: 0.01, labRequests: 1000, timeLimit: 120)
        public static let quick = Plan(
            sequentialRuns: 1, sequentialRequests: 1000, scaleBuys: 0, tracedBuys: 600, untracedThroughput: false,
            failoverSeeds: [1], failoverRequests: 300, failoverSickRate: 0.03, labRequests: 100, timeLimit: 12)
        /// Every kind of figure from the smallest runs: for the tests, not for quoting.
        public static let smoke = Plan(
            sequentialRuns: 1, sequentialRequests: 100, scaleBuys: 0, tracedBuys: 120, untracedThroughput: false,
            failoverSeeds: [1], failoverRequests: 60, failoverSickRate: 0.05, labRequests: 20, timeLimit: 30)
    }

    public static let scalePeers = [16, 32, 64, 128]
    public static let labRates = [0.001, 0.002, 0.004, 0.005]

    let runner: MarketRunner
    let plan: Plan
    let progress: (String) -> Void
    /// The largest peak resident set of any peer in any run so far, in bytes.
    public private(set) var largestPeerRSS = 0
    /// The runs that did not pass, each with why: their figures are still read, and said.
    public private(set) var failures: [String] = []

    public init(runner: MarketRunner, plan: Plan, progress: @escaping (String) -> Void) {
        self.runner = runner
        self.plan = plan
        self.progress = progress
    }

    mutating func run(_ arguments: [String], timeLimit: Int? = nil) throws -> RunHistory {
        let started = ContinuousClock.now
        let outcome = try runner.run(arguments + ["--time-limit", String(timeLimit ?? plan.timeLimit)])
        largestPeerRSS = max(largestPeerRSS, outcome.largestPeerRSS)
        let command = "market run " + arguments.joined(separator: " ")
        progress(String(format: "  %@ (%.1f s)%@", command, (ContinuousClock.now - started).seconds,
                        outcome.failure.map { ": did not pass, \($0)" } ?? ""))
        if let failure = outcome.failure { failures.append("\(command): \(failure)") }
        return try RunHistory(path: outcome.database)
    }

    /// test_case2 without sickness: one buyer, each request after the last one's result.
    public mutating func sequential() throws -> Sequential {
        var spans: [Double] = []
        var buys: [Double] = []
        for seed in 1...plan.sequentialRuns {
            let history = try run(["--scenario", "test_case2", "--sick-rate", "0",
                                   "--requests", String(plan.sequentialRequests), "--seed", String(seed)])
            spans.append(try history.decisions().seconds)
            buys += try history.perBuy()
        }
        return Sequential(seconds: spans.median() ?? 0, p50: buys.percentile(0.5) ?? 0, p99: buys.percentile(0.99) ?? 0,
                          runs: spans.count)
    }

    public struct Sequential: Sendable {
        public var seconds: Double
        /// Microseconds per buy, from each decision to the next (the history's times are to the microsecond).
        public var p50: Double
        public var p99: Double
        public var runs: Int
    }

    /// Requests in flight a buyer in the pipelined throughput rows.
    public static let pipelinedInFlight = 16
    public static let pipelinedPeers = [16, 64]

    /// many_buyers at `peers`: three quarters buy, stock never runs out, no sickness; each
    /// buyer keeps `inFlight` requests in flight.
    public mutating func scale(peers: Int, inFlight: Int = 1) throws -> ScalePoint {
        let buyers = max(1, peers * 3 / 4)
        func arguments(buys: Int, traced: Bool) -> [String] {
            ["--scenario", "many_buyers", "--peers", String(peers), "--sick-rate", "0",
             "--requests", String(max(5, buys / buyers)), "--seed", "1"] + (traced ? ["--trace"] : [])
                + (inFlight > 1 ? ["--in-flight", String(inFlight)] : [])
        }
        let failuresBefore = failures.count
        let traced = try run(arguments(buys: plan.tracedBuys, traced: true))
        let tracedPassed = failures.count == failuresBefore
        var point = ScalePoint(
            peers: peers, buyers: buyers, buysPerSecond: try traced.decisions().boughtPerSecond,
            messagesPerBuy: try traced.messagesPerBuy(), elections: try traced.elections(), passed: tracedPassed,
            tracedElections: try traced.elections(), tracedPassed: tracedPassed, traced: true)
        point.inFlight = inFlight
        point.wire(try traced.wire(), decided: try traced.decisions().decided)
        if plan.untracedThroughput {
            let before = failures.count
            let plain = try run(arguments(buys: plan.scaleBuys, traced: false))
            point.buysPerSecond = try plain.decisions().boughtPerSecond
            point.elections = try plain.elections()
            point.passed = failures.count == before
            point.traced = false
            point.wire(try plain.wire(), decided: try plain.decisions().decided)
        }
        return point
    }

    public struct ScalePoint: Sendable, Codable {
        public var peers: Int
        public var buyers: Int
        /// From the throughput run (untraced in the full plan).
        public var buysPerSecond: Double
        /// From the traced run: messages received per bought request, Bully's left out.
        public var messagesPerBuy: Double
        /// Elections of the throughput run (1 is the startup election alone).
        public var elections: Int
        /// The throughput run completed and its history checked clean.
        public var passed: Bool
        public var tracedElections: Int
        public var tracedPassed: Bool
        /// The throughput came from the traced run (the quick plan).
        public var traced: Bool
        /// Requests in flight a buyer.
        public var inFlight = 1
        /// Envelopes (messages) and frames (writes) the peers wrote, per decision, from the
        /// throughput run (start-up included); nil where the peers did not record them.
        public var envelopesPerBuy: Double?
        public var framesPerBuy: Double?

        mutating func wire(_ counts: WireCounts?, decided: Int) {
            guard let counts, decided > 0 else { return }
            envelopesPerBuy = Double(counts.envelopes) / Double(decided)
            framesPerBuy = Double(counts.frames) / Double(decided)
        }

        enum CodingKeys: String, CodingKey {
            case peers, buyers, elections, passed, traced
            case inFlight = "in_flight"
            case envelopesPerBuy = "envelopes_per_buy"
            case framesPerBuy = "frames_per_buy"
            case buysPerSecond = "buys_per_s"
            case messagesPerBuy = "messages_per_buy"
            case tracedElections = "traced_elections"
            case tracedPassed = "traced_passed"
        }
    }

    /// test_case2 with the trader falling sick in `mode`: milliseconds from each fault to
    /// the successor's first decision.
    public mutating func failover(_ mode: SickMode) throws -> [Double] {
        var samples: [Double] = []
        for seed in plan.failoverSeeds {
            let history = try run(["--scenario", "test_case2", "--sick-mode", mode.rawValue,
                                   "--sick-rate", String(plan.failoverSickRate),
                                   "--requests", String(plan.failoverRequests), "--seed", String(seed)])
            samples += try history.failovers(kind: mode == .crash ? .crash : .sick)
        }
        return samples
    }

    /// The lab's experiment (`lab`) at one re-election rate.
    public mutating func lab(sickRate: Double) throws -> LabRow {
        let history = try run(["--scenario", "lab", "--sick-rate", String(sickRate),
                               "--requests", String(plan.labRequests), "--seed", "1"])
        return LabRow(sickRate: sickRate, seconds: try history.decisions().seconds, elections: try history.elections())
    }

    public struct LabRow: Sendable, Codable {
        public var sickRate: Double
        public var seconds: Double
        public var elections: Int

        enum CodingKeys: String, CodingKey {
            case seconds, elections
            case sickRate = "sick_rate"
        }
    }
}
