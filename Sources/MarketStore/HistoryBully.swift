import MarketCore

/// Bully on a recorded run: the one rule (`BullyWinners`) over the history's faults and
/// elections (a recovery, or its host answering again, brings a peer up; any other fault,
/// `unreachable` among them, takes it down).
extension History {
    func bullyWinners() -> CheckReport.Item {
        guard !peers.isEmpty else {
            return .init(.bully, checked: 0, unit: "elections", violations: [])
        }
        let rule = BullyWinners<String>(
            peers: peers.map { ($0.peer, $0.downAtStart) },
            changes: faults.map { .init(peer: $0.peer, up: $0.kind == .recover || $0.kind == .reachable, at: $0.at) },
            elections: elections.compactMap { election in
                guard let started = election.startedAt ?? election.finishedAt else { return nil }
                return .init(epoch: election.epoch, winner: election.winner, started: started, finished: election.finishedAt)
            },
            runStarted: runStartedAt, stoppingAt: stoppingAt)
        let (checked, violations) = rule.check()
        return .init(.bully, checked: checked, unit: "elections", violations: violations)
    }
}
