import Foundation
import MarketCore
import MarketStore

/// `market bench`'s rows under a nemesis: real `market run`s whose links are cut on a schedule
/// from the seed, each read back through `LivenessFigures` (so the bench and a run's summary
/// agree on what an election's cause, a rate during a cut and a settle time are), medians over
/// the plan's seeds.
public enum NemesisBench {
    public struct Plan: Sendable {
        public var scenario: String
        public var kinds: [NemesisKind]
        public var peers: Int
        public var requests: Int
        /// Seconds each cut lasts, and the calm after its heal.
        public var interval: Double
        public var seeds: [UInt64]
    }

    /// Smoke: one short partition run, for the tests; otherwise each kind once per repetition
    /// (seeds 1, 2, …), the quick plan's runs shorter. Twelve buyers trading, and runs of
    /// several seconds with cuts of a second: a run that ends inside its first cut measures its
    /// own tail (buyers done, little left to decide), and a cut not much longer than the suspect
    /// time is mostly the wait before the trader drops the buyers it cannot hear.
    public static func plan(smoke: Bool, quick: Bool, repetitions: Int) -> Plan {
        if smoke { return Plan(scenario: "normal", kinds: [.partition], peers: 8, requests: 40, interval: 0.5, seeds: [1]) }
        return Plan(scenario: "many_buyers", kinds: [.partition, .isolateTrader], peers: 16, requests: quick ? 200 : 300,
                    interval: 1, seeds: (1...max(1, repetitions)).map(UInt64.init))
    }

    /// Seconds a run under a nemesis may take: a cut can stall a side for its whole interval,
    /// so these runs take several times as long as the quick plan's others.
    public static let timeLimit = 120

    public struct Row: Sendable, Codable {
        public var kind: String
        public var peers: Int
        public var intervalSeconds: Double
        public var runs: Int
        /// Runs that completed with a clean check.
        public var passed: Int
        /// Medians over the runs that had a figure; nil when none had.
        public var decidedPerSecondWhileCut: Double?
        public var decidedPerSecondOutsideFaults: Double?
        public var rateRatio: Double?
        /// The median of every settled heal of every run.
        public var settleSeconds: Double?
        public var settleGoalSeconds: Double
        public var healsSettled: Int
        public var healsNotSettled: Int
        public var electionsPerAction: Double?
        /// Summed over the runs.
        public var elections: LivenessFigures.ElectionCauses
        public var cutOffRequests: LivenessFigures.CutOffRequests

        enum CodingKeys: String, CodingKey {
            case kind, peers, runs, passed, elections
            case intervalSeconds = "interval_s"
            case decidedPerSecondWhileCut = "decided_per_s_while_cut"
            case decidedPerSecondOutsideFaults = "decided_per_s_outside_faults"
            case rateRatio = "rate_ratio"
            case settleSeconds = "settle_s"
            case settleGoalSeconds = "settle_goal_s"
            case healsSettled = "heals_settled"
            case healsNotSettled = "heals_not_settled"
            case electionsPerAction = "elections_per_action"
            case cutOffRequests = "cut_off_requests"
        }
    }

    /// Many peers, no sickness, no nemesis: do they hold one election?
    public static let largePlan: [(scenario: String, peers: Int)] =
        [("normal", 128), ("many_buyers", 128), ("normal", 256), ("many_buyers", 256)]
    /// Requests per buyer in those runs, as the issue measured them.
    public static let largeRequests = 5
    /// Seconds such a run may take: a 256-peer start alone takes most of a minute on two cores.
    public static let largeTimeLimit = 300

    public struct LargeRow: Sendable, Codable {
        public var scenario: String
        public var peers: Int
        public var elections: Int
        public var decided: Int
        public var decidedPerSecond: Double
        public var passed: Bool

        enum CodingKeys: String, CodingKey {
            case scenario, peers, elections, decided, passed
            case decidedPerSecond = "decided_per_s"
        }
    }
}

extension SystemBench {
    /// The plan's scenario at its peers under `kind`, once per seed.
    public mutating func nemesis(_ kind: NemesisKind, plan: NemesisBench.Plan) throws -> NemesisBench.Row {
        let timing = Timing.forPeers(plan.peers)
        var runs: [LivenessFigures] = []
        var passed = 0
        for seed in plan.seeds {
            let before = failures.count
            let history = try run([
                "--scenario", plan.scenario, "--peers", String(plan.peers), "--sick-rate", "0", "--requests", String(plan.requests),
                "--nemesis", kind.rawValue, "--nemesis-interval", String(plan.interval), "--seed", String(seed),
            ], timeLimit: NemesisBench.timeLimit)
            if failures.count == before { passed += 1 }
            runs.append(try history.liveness(timing: timing))
        }
        var elections = LivenessFigures.ElectionCauses()
        var cutOff = LivenessFigures.CutOffRequests()
        for figures in runs {
            let causes = figures.elections
            elections.startup += causes.startup
            elections.lostTrader += causes.lostTrader
            elections.partition += causes.partition
            elections.heal += causes.heal
            elections.higherPeerBack += causes.higherPeerBack
            elections.unexplained += causes.unexplained
            let held = figures.cutOffRequests
            cutOff.held += held.held
            cutOff.decidedWhileCut += held.decidedWhileCut
            cutOff.decidedAfterHeal += held.decidedAfterHeal
            cutOff.neverDecided += held.neverDecided
            cutOff.decidedTwice += held.decidedTwice
        }
        let settles = runs.flatMap(\.settleSeconds)
        return NemesisBench.Row(
            kind: kind.rawValue, peers: plan.peers, intervalSeconds: plan.interval, runs: runs.count, passed: passed,
            decidedPerSecondWhileCut: runs.compactMap(\.decidedPerSecondWhileCut).median(),
            decidedPerSecondOutsideFaults: runs.compactMap(\.decidedPerSecondOutsideFaults).median(),
            rateRatio: runs.compactMap(\.rateRatio).median(),
            settleSeconds: settles.median(), settleGoalSeconds: (timing.electionTimeout + timing.heartbeat).seconds,
            healsSettled: settles.count, healsNotSettled: runs.map(\.healsNotSettled).reduce(0, +),
            electionsPerAction: runs.compactMap(\.electionsPerAction).median(), elections: elections, cutOffRequests: cutOff)
    }

    /// `scenario` at `peers`, sick rate 0, no nemesis: its elections and decisions per second.
    public mutating func large(_ scenario: String, peers: Int) throws -> NemesisBench.LargeRow {
        let before = failures.count
        let history = try run(["--scenario", scenario, "--peers", String(peers), "--sick-rate", "0",
                               "--requests", String(NemesisBench.largeRequests), "--seed", "4"],
                              timeLimit: NemesisBench.largeTimeLimit)
        let span = try history.decisions()
        return NemesisBench.LargeRow(
            scenario: scenario, peers: peers, elections: try history.elections(), decided: span.decided,
            decidedPerSecond: span.seconds > 0 ? Double(span.decided) / span.seconds : 0, passed: failures.count == before)
    }
}

extension RunHistory {
    public func liveness(timing: Timing) throws -> LivenessFigures { try database.liveness(runID: runID, timing: timing) }
}
