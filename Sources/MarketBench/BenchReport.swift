import Foundation
import MarketCore

/// Everything one `market bench` measured, next to the floors; `--json` prints it as one object.
public struct BenchReport: Sendable, Encodable {
    public var quick: Bool
    /// Median Unix socket round trip (64 B) and one-row WAL commit (synchronous=NORMAL).
    public var floorUDSRoundTrip: Double
    public var floorCommit: Double
    /// 1000 sequential buys (test_case2, sick rate 0): first received to last decided.
    public var sequentialSeconds: Double
    /// Per buy, from each decision to the next in the history (its times are to the microsecond).
    public var sequentialP50: Double
    public var sequentialP99: Double
    /// Decided buys per second at 16 peers, 12 of them buying.
    public var throughput: Double
    public var scale: [SystemBench.ScalePoint]
    /// Medians: from the trader's fault to its successor's first decision.
    public var failover: Double
    public var failoverSilent: Double
    public var failoverSamples: Int
    public var failoverSilentSamples: Int
    /// The largest peak resident set of any peer process in any run.
    public var peerRSSMegabytes: Double
    public var labTable: [SystemBench.LabRow]
    public var labRequestsPerBuyer: Int
    /// The store and the simulator, as before (the full plan only).
    public var figures: [BenchFigure]
    /// Runs that did not pass (failed, timed out, or a check found a violation), with why.
    public var failedRuns: [String]
    /// The PostgreSQL plan, or why it was skipped.
    public var postgres: PostgresFigures?
    public var postgresSkipped: String?
    /// `market explore` at fixed bounds.
    public var explorer: [ExplorerBench.Row] = []
    /// Runs under a nemesis, and runs of 128 and 256 peers (the full plan only).
    public var nemesis: [NemesisBench.Row] = []
    public var large: [NemesisBench.LargeRow] = []
    /// The hosts plan (`--hosts`), or nil.
    public var hosts: HostsFigures?

    /// Two round trips and one commit: a sequential buy cannot be cheaper.
    public var floorSequentialBuy: Double

    enum CodingKeys: String, CodingKey {
        case quick
        case floorUDSRoundTrip = "floor_uds_rtt_us"
        case floorCommit = "floor_commit_us"
        case floorSequentialBuy = "floor_sequential_buy_us"
        case sequentialSeconds = "sequential_s"
        case sequentialP50 = "sequential_p50_us"
        case sequentialP99 = "sequential_p99_us"
        case throughput = "throughput_buys_per_s"
        case scale
        case failover = "failover_ms"
        case failoverSilent = "failover_silent_ms"
        case failoverSamples = "failover_samples"
        case failoverSilentSamples = "failover_silent_samples"
        case peerRSSMegabytes = "peer_rss_mb"
        case labTable = "lab_table"
        case labRequestsPerBuyer = "lab_requests_per_buyer"
        case figures
        case failedRuns = "failed_runs"
        case postgres
        case postgresSkipped = "postgres_skipped"
        case explorer
        case nemesis
        case large = "large_runs"
        case hosts
    }

    public init(quick: Bool, floorUDSRoundTrip: Double, floorCommit: Double, sequential: SystemBench.Sequential,
                scale: [SystemBench.ScalePoint], failover: [Double], failoverSilent: [Double], peerRSS: Int,
                labTable: [SystemBench.LabRow], labRequestsPerBuyer: Int, figures: [BenchFigure], failedRuns: [String],
                postgres: PostgresFigures? = nil, postgresSkipped: String? = nil) {
        self.quick = quick
        self.floorUDSRoundTrip = floorUDSRoundTrip
        self.floorCommit = floorCommit
        floorSequentialBuy = 2 * floorUDSRoundTrip + floorCommit
        sequentialSeconds = sequential.seconds
        sequentialP50 = sequential.p50
        sequentialP99 = sequential.p99
        throughput = scale.first { $0.peers == 16 && $0.inFlight == 1 }?.buysPerSecond ?? 0
        self.scale = scale
        self.failover = failover.median() ?? 0
        self.failoverSilent = failoverSilent.median() ?? 0
        failoverSamples = failover.count
        failoverSilentSamples = failoverSilent.count
        peerRSSMegabytes = Double(peerRSS) / 1_048_576
        self.labTable = labTable
        self.labRequestsPerBuyer = labRequestsPerBuyer
        self.figures = figures
        self.failedRuns = failedRuns
        self.postgres = postgres
        self.postgresSkipped = postgresSkipped
    }
}
