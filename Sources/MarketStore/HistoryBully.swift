import MarketCore

/// Bully on a recorded run: the one rule (`BullyWinners`) over the history's faults and
/// elections (a recovery, or its host answering again, brings a peer up; any other fault,
/// `unreachable` among them, takes it down). A peer whose link
/// with the winner was cut either way during the election (`nemesis`) could not answer it:
/// Bully promises nothing about it.
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
            runStarted: runStartedAt, stoppingAt: stoppingAt,
            unheard: { [cuts = nemesisCuts()] election, peer in
                let end = election.finished ?? election.started
                return cuts.contains { cut in
                    cut.from <= end && (cut.to.map { $0 >= election.started } ?? true)
                        && (cut.links.contains(DirectedLink(election.winner, peer)) || cut.links.contains(DirectedLink(peer, election.winner)))
                }
            })
        let (checked, violations) = rule.check()
        return .init(.bully, checked: checked, unit: "elections", violations: violations)
    }

    /// Each recorded cut with its links, from its step to the next one (nil: still cut at the end).
    private func nemesisCuts() -> [(from: String, to: String?, links: Set<DirectedLink>)] {
        nemesis.enumerated().compactMap { index, step in
            guard let links = NemesisCut.links(step.links), !links.isEmpty else { return nil }
            return (step.at, index + 1 < nemesis.count ? nemesis[index + 1].at : nil, links)
        }
    }
}
