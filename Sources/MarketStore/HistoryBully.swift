import MarketCore

/// Bully on a recorded run. The simulator checks the same property from who it saw up at
/// each instant; a history only has the faults' timestamps, so the rule here is looser.
///
/// Real processes are asynchronous: a higher peer that is up may still be too slow to answer
/// an ELECTION within the timeout (a loaded machine, a long store write), and a lower peer
/// wins. That is Bully working, not broken. What Bully promises is that such a higher peer
/// then takes over; so a lower winner is a violation only if the highest peer that was up
/// throughout its election never won a later election (nor did any peer above it) while it
/// stayed up. Elections that began once the run was ending (`runs.stopping_at`) are not
/// judged: the peers were leaving.
extension History {
    /// The Bully winner is the highest peer that was not down when the election finished,
    /// or the highest peer up then takes over before it goes down. A peer whose state changed
    /// while the election ran (from its recorded start, or the moment it finished) is not held
    /// against the result either way, nor is a peer that recovered since the previous
    /// election: its own election may still be under way.
    func bullyWinners() -> CheckReport.Item {
        var violations: [Violation] = []
        guard !peers.isEmpty else {
            return .init(.bully, checked: 0, unit: "elections", violations: [])
        }
        var checked = 0
        var previousFinish = runStartedAt
        for (index, election) in elections.enumerated() {
            guard let finished = election.finishedAt else { continue }
            let started = min(election.startedAt ?? finished, finished)
            // Peers told to stop leave one by one: one that sees another go may start an
            // election that no rule of the running protocol governs.
            if let stoppingAt, started >= stoppingAt { continue }
            checked += 1
            var steadyUp: [PeerID] = []
            var steadyDown: Set<PeerID> = []
            for peer in peers {
                let atStart = isDown(peer, at: started, inclusive: false)
                let atFinish = isDown(peer, at: finished, inclusive: true)
                let changed = faults.contains { $0.peer == peer.peer && $0.at >= started && $0.at <= finished }
                let recovered = faults.contains {
                    $0.peer == peer.peer && $0.kind == .recover && $0.at > previousFinish && $0.at <= finished
                }
                if !atStart, !atFinish, !changed, !recovered { steadyUp.append(peer.peer) }
                if atStart, atFinish, !changed { steadyDown.insert(peer.peer) }
            }
            if let highest = steadyUp.max(), election.winner < highest,
               !takesOver(highest, after: index, finished: finished) {
                violations.append(Violation(
                    .bully, "epoch \(election.epoch) was won by P\(election.winner), but P\(highest) was up and never took over"))
            }
            if steadyDown.contains(election.winner) {
                violations.append(Violation(.bully, "epoch \(election.epoch) was won by P\(election.winner), which was down"))
            }
            previousFinish = max(previousFinish, finished)
        }
        return .init(.bully, checked: checked, unit: "elections", violations: violations)
    }

    /// Whether `peer` (or a peer above it) won an election after the one at `index` before
    /// `peer` next went down; a peer that went down first owed nothing.
    func takesOver(_ peer: PeerID, after index: Int, finished: String) -> Bool {
        let nextDown = faults.first { $0.peer == peer && $0.kind != .recover && $0.at > finished }?.at
        for later in elections[(index + 1)...] where later.winner >= peer {
            guard let started = later.startedAt ?? later.finishedAt else { continue }
            if nextDown.map({ started <= $0 }) ?? true { return true }
        }
        return nextDown != nil
    }

    /// Down at `time`: down from the start or last sick/crashed/resigned, without a recovery since.
    func isDown(_ peer: PeerRecord, at time: String, inclusive: Bool) -> Bool {
        var down = peer.downAtStart
        for fault in faults where fault.peer == peer.peer && (inclusive ? fault.at <= time : fault.at < time) {
            down = fault.kind != .recover
        }
        return down
    }
}
