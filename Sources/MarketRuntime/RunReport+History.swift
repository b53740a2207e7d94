import MarketCore
import MarketStore

extension RunReport {
    /// The summary of a finished run, from the history as the store has it at the end.
    ///
    /// - Parameters:
    ///   - history: the run's inspection, with the check's verdict; it counts for a completed
    ///     or an interrupted run (a failed one is not checked).
    ///   - progress: the run's counts; nil when they could not be read.
    ///   - span: the decisions from the first request received to the last decided, which
    ///     `decidedPerSecond` is taken over (the whole run's seconds when it could not be read).
    init(runID: Int64, options: RunOptions, status: RunStatus, seconds: Double, history read: Result<RunInspection, any Error>,
         progress: RunProgress?, failures: [FailureCount] = [], faults: [FaultKind: Int], problem: String?,
         liveness: LivenessFigures? = nil, span: DecisionSpan? = nil, wire: WireCounts? = nil) {
        let history = try? read.get()
        var violations: [String] = []
        var verdict: String?
        // An interrupted run is checked too: what it recorded before the interrupt must hold
        // every invariant, and the user who pressed Ctrl-C is owed that verdict.
        if status == .completed || status == .interrupted {
            switch read {
            case .success(let history):
                violations = history.check.items.flatMap { item in item.violations.map { "\(item.name): \($0)" } }
                verdict = history.check.verdict
            case .failure(let error):
                violations = ["the check could not run: \(error)"]
            }
        }
        let elections = history?.elections ?? []
        let peers = options.scenario.peers.map { spec in
            let row = history?.peers.first { $0.peer == spec.id }
            return PeerLine(
                peer: spec.id, role: spec.role.rawValue, product: spec.product.rawValue, downAtStart: spec.downAtStart,
                tradedEpochs: elections.filter { $0.winner == spec.id }.map(\.epoch),
                bought: row?.bought, sold: row?.sold, cashCents: row?.cashCents, finalClock: row?.finalClock.map { Int($0) },
                host: spec.downAtStart ? nil : options.placement?.recordedHost(of: spec.id))
        }
        let decided = progress?.decided ?? 0
        self.init(
            runID: runID, scenario: options.scenario.name, seed: options.scenario.seed, database: options.databasePath,
            status: status.rawValue, seconds: seconds, requests: options.totalRequests,
            made: decided + (progress?.pending ?? 0), decided: decided,
            bought: progress?.bought ?? 0, failed: progress?.failed ?? 0, takeovers: progress?.takeovers ?? 0,
            decidedPerSecond: span.map { $0.seconds > 0 ? Double($0.decided) / $0.seconds : 0 }
                ?? (seconds > 0 ? Double(decided) / seconds : 0),
            peers: peers,
            elections: elections.map {
                ElectionLine(epoch: $0.epoch, winner: $0.winner, initiator: $0.initiator ?? -1, reason: $0.reason ?? "")
            },
            faults: faults, violations: violations, problem: problem, check: verdict,
            passed: status == .completed && violations.isEmpty)
        nemesis = (history?.nemesis ?? []).map { NemesisLine(action: $0.action, groups: $0.groups, links: $0.links, at: $0.at) }
        self.liveness = liveness
        inFlight = options.scenario.inFlight ?? 1
        if let wire, decided > 0 {
            envelopesPerDecision = Double(wire.envelopes) / Double(decided)
            framesPerDecision = Double(wire.frames) / Double(decided)
        }
        viewChanges = (history?.viewChangesByEpoch ?? []).map { ViewChangeCount(epoch: $0.epoch, changes: $0.changes) }
        failedByReason = Dictionary(failures.map { ($0.reason, $0.count) }, uniquingKeysWith: +)
    }
}
