import MarketCore

/// How well a run kept going under its faults, worked out from its history alone (elections,
/// faults, nemesis actions and heals, requests, trades): the one place these figures are made,
/// for the run's summary, its `--json` and `market bench`. Pure: rows in, figures out.
///
/// **Which cause an election is charged to** (by its reason, then by when it started):
/// 1. the run's first election, or one whose reason is `startup`: **startup**;
/// 2. reason `recovery` or `lower trader`: **a higher peer back**, Bully's extra election when a
///    peer above the trader returns, from sickness or a crash, or from the far side of a cut;
/// 3. otherwise the latest of these causes still open when the election started: a fault of
///    the peer then trading (sick, crash, resign, unreachable; open until that peer recovers or
///    is reachable again) is **a lost trader**; a nemesis action (open until its heal) is **a
///    partition**; a heal (open for `healWindowSuspects` suspect times) is **a heal**;
///    reason `resign` is a lost trader whatever the time;
/// 4. none open: **unexplained** (an election that no fault explains, such as a storm).
///
/// **Settled after a heal**: at the first decision at or after the heal that is made with no
/// election in flight and after the end of every election charged to that heal (or to a
/// higher peer back within its window); the settle time runs from the heal to that decision.
/// A heal with no such decision before the next action (or the run's end) did not settle.
///
/// **Rates**: decisions per second while links are cut count every decision made inside a cut
/// (only a trader decides, so each was made on the side that reaches the trader) over the cut
/// time; the rate outside faults counts decisions outside every cut, every unsettled stretch
/// after a heal and every failover (a lost trader's fault to the first decision of a later
/// epoch) over the time left. Both only within the run's decision span (the first request
/// received to the last decided), so idle time before or after the buying counts in neither.
///
/// **Cut-off buyers**: a buyer is cut off by an action when a link between it and the trader
/// in office at the action (either direction) is cut. A buyer with one request in flight (the
/// default) had in hand across the cut its lowest request not decided before the action (with
/// `--in-flight D`, only that one of its D is counted);
/// each such request is counted as decided during the cut, after the heal, or never, and as
/// decided twice if the history holds more than one trade for it.
public struct LivenessFigures: Hashable, Codable, Sendable {
    public struct ElectionCauses: Hashable, Codable, Sendable {
        public var startup = 0
        public var lostTrader = 0
        public var partition = 0
        public var heal = 0
        public var higherPeerBack = 0
        public var unexplained = 0

        public init() {}

        public var total: Int { startup + lostTrader + partition + heal + higherPeerBack + unexplained }

        // Snake case here, so that every encoder (the run's, the bench's) writes the same keys.
        enum CodingKeys: String, CodingKey {
            case startup, partition, heal, unexplained
            case lostTrader = "lost_trader"
            case higherPeerBack = "higher_peer_back"
        }
    }

    public struct CutOffRequests: Hashable, Codable, Sendable {
        /// Requests cut-off buyers had in hand across a cut.
        public var held = 0
        public var decidedWhileCut = 0
        public var decidedAfterHeal = 0
        public var neverDecided = 0
        /// Held requests with more than one trade: must stay 0.
        public var decidedTwice = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case held
            case decidedWhileCut = "decided_while_cut"
            case decidedAfterHeal = "decided_after_heal"
            case neverDecided = "never_decided"
            case decidedTwice = "decided_twice"
        }
    }

    public var elections = ElectionCauses()
    /// Nemesis actions (a flaky action's redraws count once) and heals.
    public var actions = 0
    public var heals = 0
    /// Seconds links were cut within the decision span, and the decisions made then.
    public var cutSeconds = 0.0
    public var decidedWhileCut = 0
    public var decidedPerSecondWhileCut: Double?
    public var decidedPerSecondOutsideFaults: Double?
    /// While cut over outside faults; the goal is at least 0.5.
    public var rateRatio: Double?
    /// One per heal that settled, in order.
    public var settleSeconds: [Double] = []
    public var healsNotSettled = 0
    /// One election timeout plus a heartbeat.
    public var settleGoalSeconds = 0.0
    public var cutOffRequests = CutOffRequests()

    /// Elections after startup for each nemesis action: the storm figure under a nemesis.
    public var electionsPerAction: Double?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case elections, actions, heals
        case cutSeconds = "cut_seconds"
        case decidedWhileCut = "decided_while_cut"
        case decidedPerSecondWhileCut = "decided_per_second_while_cut"
        case decidedPerSecondOutsideFaults = "decided_per_second_outside_faults"
        case rateRatio = "rate_ratio"
        case settleSeconds = "settle_seconds"
        case healsNotSettled = "heals_not_settled"
        case settleGoalSeconds = "settle_goal_seconds"
        case cutOffRequests = "cut_off_requests"
        case electionsPerAction = "elections_per_action"
    }

    /// A heal's window, in suspect times, for charging elections to it.
    public static let healWindowSuspects: Int64 = 3

    /// The figures of one run's rows. Times that do not parse are left out of the figures.
    public init(elections: [ElectionRecord], faults: [FaultRecord], nemesis: [NemesisRecord], requests: [RequestRecord],
                tradeRequestIDs: [String], timing: Timing) {
        self.init()
        let history = LivenessTimeline(elections: elections, faults: faults, nemesis: nemesis, requests: requests)
        let suspect = Self.microseconds(timing.suspectAfter)
        let healWindow = Self.healWindowSuspects * suspect
        settleGoalSeconds = (timing.electionTimeout + timing.heartbeat).seconds
        actions = history.windows.count
        heals = history.windows.filter { $0.heal != nil }.count

        // Elections by cause, and which heal each one charged to a heal belongs to.
        var healElectionEnds: [Int: Int64] = [:]
        for election in history.elections {
            let cause = history.cause(of: election, healWindow: healWindow)
            switch cause {
            case .startup: self.elections.startup += 1
            case .higherPeerBack: self.elections.higherPeerBack += 1
            case .lostTrader: self.elections.lostTrader += 1
            case .partition: self.elections.partition += 1
            case .heal: self.elections.heal += 1
            case .unexplained: self.elections.unexplained += 1
            }
            if cause == .heal || cause == .higherPeerBack,
               let window = history.windowOfHeal(before: election.started, within: healWindow) {
                healElectionEnds[window] = max(healElectionEnds[window] ?? .min, election.finished ?? election.started)
            }
        }

        // Settling, heal by heal.
        var unsettled: [(Int64, Int64)] = []
        for (index, window) in history.windows.enumerated() {
            guard let heal = window.heal else { continue }
            let limit = index + 1 < history.windows.count ? history.windows[index + 1].start : Int64.max
            let from = max(heal, healElectionEnds[index] ?? heal)
            if let settled = history.decisionTimes.first(where: { $0 >= from && $0 < limit && !history.electionInFlight(at: $0) }) {
                settleSeconds.append(Double(settled - heal) / 1_000_000)
                unsettled.append((heal, settled))
            } else {
                healsNotSettled += 1
                unsettled.append((heal, min(limit, history.spanEnd ?? heal)))
            }
        }

        // Rates within the decision span.
        if let spanStart = history.spanStart, let spanEnd = history.spanEnd, spanEnd > spanStart {
            let cuts = history.windows.map { ($0.start, $0.heal ?? spanEnd) }
            let faulty = Intervals(cuts + unsettled + history.failovers)
            let cut = Intervals(cuts)
            let cutTime = cut.length(within: spanStart, spanEnd)
            cutSeconds = Double(cutTime) / 1_000_000
            decidedWhileCut = history.decisionTimes.filter { cut.contains($0) }.count
            if cutTime > 0 { decidedPerSecondWhileCut = Double(decidedWhileCut) / cutSeconds }
            let outsideTime = spanEnd - spanStart - faulty.length(within: spanStart, spanEnd)
            let outside = history.decisionTimes.filter { !faulty.contains($0) }.count
            if outsideTime > 0 { decidedPerSecondOutsideFaults = Double(outside) * 1_000_000 / Double(outsideTime) }
            if let during = decidedPerSecondWhileCut, let calm = decidedPerSecondOutsideFaults, calm > 0 {
                rateRatio = during / calm
            }
        }

        cutOffRequests = history.cutOffRequests(trades: tradeRequestIDs)
        if actions > 0 { electionsPerAction = Double(self.elections.total - self.elections.startup) / Double(actions) }
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

/// Half-open stretches of time `[from, to)`, possibly overlapping.
struct Intervals {
    let stretches: [(Int64, Int64)]

    init(_ stretches: [(Int64, Int64)]) {
        self.stretches = stretches.filter { $0.1 > $0.0 }.sorted { $0.0 < $1.0 }
    }

    func contains(_ time: Int64) -> Bool { stretches.contains { $0.0 <= time && time < $0.1 } }

    /// Time covered by at least one stretch, between `start` and `end`.
    func length(within start: Int64, _ end: Int64) -> Int64 {
        var covered: Int64 = 0
        var reached = start
        for (from, to) in stretches {
            let from = max(from, reached), to = min(to, end)
            guard to > from else { continue }
            covered += to - from
            reached = to
        }
        return covered
    }
}
