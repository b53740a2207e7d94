import MarketCore

/// Whether a state at rest that breaks a property at rest shows the protocol's fault or the
/// bound's. Heartbeats are bounded so that the space ends, but in a real run they never stop,
/// and they are what mends such a state: a higher peer whose COORDINATOR was lost hears of the
/// lower trader in a heartbeat and holds its own election; a fresh trader decides what it held
/// back for a seller's first deposit on its heartbeat tick. A lower trader, or a request left
/// pending, at rest is a violation only when heartbeats past the bound would not mend it.
extension ExploredSystem {
    /// How many heartbeats (and other timeouts) each peer may fire past what it has in the
    /// search for a mend, and how many states that search may visit.
    static let repairFirings = 2
    static let repairStates = 20_000

    /// From this state at rest: some path with no new fault, each timer firing at most
    /// `repairFirings` more times than any has, comes to rest with a trader in office and no
    /// property at rest broken. Breadth-first, from this state alone; a mend not found within
    /// `repairStates` states counts as none (the violation stands). Existential on purpose:
    /// the search over every interleaving already reaches every order of those heartbeats, and
    /// what is asked here is only whether the protocol has a way back that the bound cut off.
    func repairedByHeartbeats(within bounds: ExplorationBounds) -> Bool {
        let most = nodes.map { $0.fired.values.max() ?? 0 }.max() ?? 0
        let wider = ExplorationBounds(crashes: crashes, pauses: pauses, drops: drops,
                                      timerFirings: max(bounds.timerFirings, most) + Self.repairFirings,
                                      heartbeats: max(bounds.heartbeats, most) + Self.repairFirings,
                                      timing: bounds.timing)
        var queue = [self]
        var seen: Set<Fingerprint> = []
        var head = 0
        while head < queue.count, seen.count < Self.repairStates {
            var state = queue[head]
            head += 1
            guard seen.insert(state.fingerprint()).inserted else { continue }
            let enabled = state.enabled(within: wider)
            if state.isTerminal(enabled), state.traderInOffice != nil, state.restViolations().isEmpty { return true }
            for action in enabled where !action.isFault {
                var next = state
                _ = next.apply(action)
                queue.append(next)
            }
        }
        return false
    }
}
