import MarketCore

/// What is judged of one state beyond the invariants every step checks: the properties of a
/// state at rest, and the things that should happen sometimes.
extension ExploredSystem {
    /// At rest: nothing of the protocol's own left to do (no message in flight, no store
    /// request or answer, no timer that may still fire), and no peer crashed or paused.
    func isTerminal(_ enabled: [ExplorationAction]) -> Bool {
        !enabled.contains { !$0.isFault } && !nodes.contains { $0.crashed || $0.paused }
    }

    /// A timer other than a heartbeat still set but out of firings: the bound, not the
    /// protocol, stopped this state. Heartbeats never stop, so they are left out; a state
    /// that waits on one of the others is not judged at rest.
    func cutShort(within bounds: ExplorationBounds) -> Bool {
        nodes.contains { node in
            node.peer != nil && node.timers.keys.contains { $0 != .heartbeat && node.fired[$0, default: 0] >= bounds.firings(of: $0) }
        }
    }

    /// The peer in office: it trades, and holds the store's epoch.
    var traderInOffice: Peer? {
        nodes.lazy.compactMap(\.peer).first { $0.isTrader && $0.knownEpoch == store.epoch }
    }

    /// The properties of a state at rest, judged as the bounds allow: broken here, they are
    /// broken only if heartbeats past the bound could not mend them (`repairedByHeartbeats`);
    /// when they could, `atTheBound` is set and nothing is returned.
    func restViolations(within bounds: ExplorationBounds, atTheBound: inout Bool) -> [Violation] {
        let violations = restViolations()
        guard !violations.isEmpty else { return [] }
        if repairedByHeartbeats(within: bounds) {
            atTheBound = true
            return []
        }
        return violations
    }

    /// The properties of a state at rest. Bully as a property of one state: the trader in
    /// office is the highest peer up (a lower winner is Bully only while a higher peer is
    /// slow to answer, and a higher peer that hears of a lower trader takes over, so at rest
    /// no higher peer is up). With a trader in office, nothing is pending (in the store or in
    /// its book) and every peer's own ledger equals the books kept from the trades.
    func restViolations() -> [Violation] {
        guard let trader = traderInOffice else { return [] }
        var violations: [Violation] = []
        if let highest = nodes.compactMap(\.peer).filter(\.isUp).map(\.id).max(), highest > trader.id {
            violations.append(Violation(.bully, "at rest P\(trader.id) trades in epoch \(store.epoch) while P\(highest) is up"))
        }
        let pending = store.pendingCount + (trader.trader?.pendingCount ?? 0)
        if pending > 0 {
            violations.append(Violation(.liveness, "at rest with P\(trader.id) in office, \(store.pendingCount) requests pending in the store and \(trader.trader?.pendingCount ?? 0) in its book"))
        }
        let books = Ledger.books(of: store.decisions)
        for peer in nodes.compactMap(\.peer) {
            if let violation = LedgersEqualBooks.check(peer.id, ledger: peer.ledger, books: books) { violations.append(violation) }
        }
        return violations
    }

    /// A trade was committed.
    var tradeCompleted: Bool {
        store.commits.contains { $0.batch.decisions.contains { $0.outcome.trade != nil } }
    }

    /// A request was decided in a later epoch than it was received in: a new trader took over
    /// the queue of the one before.
    var takeoverHappened: Bool {
        store.requests.values.contains { record in
            if case .decided(let decision) = record.status { return decision.epoch > record.epochReceived }
            return false
        }
    }
}
