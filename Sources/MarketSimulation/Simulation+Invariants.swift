import MarketCore

/// What the simulator checks after every step, and what it keeps of a violation.
extension Simulation {
    func checkStore(after request: StoreRequest, outcome: StoreResult, askedAt: Duration) {
        if case .claimed(let claim) = outcome {
            checkBully(claim, askedAt: askedAt)
        }
        if case .committed(let batch, _) = outcome, let violation = noSellerWhileSome.removeValue(forKey: batch) {
            fail(violation)
        }
        fail(watch.check(store))
    }

    /// Notes the election a claim ended: it began an election timeout before the claim was
    /// asked (when the winner sent its last ELECTION), and ended when the store granted it.
    func checkBully(_ claim: ElectionClaim, askedAt: Duration) {
        let started = askedAt - nodes[claim.leader].config.timing.electionTimeout
        elections.append(.init(epoch: claim.epoch, winner: claim.leader, started: started, finished: askedAt))
    }

    /// Bully's rule (`BullyWinners`) over the whole run, from who the simulator saw up when.
    /// A higher peer whose link from the winner was stalled or cut during the election did not
    /// hear it: Bully promises nothing about a peer that cannot answer within the timeout.
    func checkBullyWinners() {
        let stalls = stalls
        let cuts = allCutSpans
        let rule = BullyWinners<Duration>(
            peers: nodes.map { ($0.config.id, $0.down) }, changes: upChanges, elections: elections, runStarted: .zero,
            unheard: { election, peer in
                let span = election.started...(election.finished ?? election.started)
                // A cut either way keeps the ELECTION or the OK from getting through.
                return stalls[election.winner * 1024 + peer, default: []].contains { $0.overlaps(span) }
                    || cuts[election.winner * 1024 + peer, default: []].contains { $0.overlaps(span) }
                    || cuts[peer * 1024 + election.winner, default: []].contains { $0.overlaps(span) }
            })
        fail(rule.check().violations)
    }

    /// The core's rule for a finished run: every buyer done, nothing pending or undelivered,
    /// every peer up, one trader in office.
    func settled() -> Bool {
        guard store.pendingCount == 0, store.outboxCount == 0 else { return false }
        let standings = nodes.filter { !$0.down }.map { node in
            node.paused ? nil : node.peer.map(PeerStanding.init)
        }
        settledOnce = Settlement.isSettled(standings, pending: store.pendingCount, undelivered: store.outboxCount,
                                           storeEpoch: store.epoch)
        return settledOnce
    }

    /// At rest, every peer's own ledger equals the books the store kept.
    func checkBooks() {
        let books = Ledger.books(of: store.decisions)
        for node in nodes where !node.down {
            guard let peer = node.peer else { continue }
            fail(LedgersEqualBooks.check(peer.id, ledger: peer.ledger, books: books))
        }
        fail(RequestsInSequence.check(store.requests.keys))
        checkEveryCountedRequestRecorded()
        checkNoBuyerCutShort()
    }

    /// A buyer in office does not buy, so a run that ends with a buyer trading ends without its
    /// last requests: right only when Bully keeps it there, as the highest peer up. A higher
    /// peer back from a crash takes over, and the buyer buys again; a run called over before
    /// that ends short.
    func checkNoBuyerCutShort() {
        let up = nodes.filter { !$0.down }.compactMap(\.peer)
        guard let trader = up.first(where: \.isTrader), !trader.finishedBuying,
              let higher = up.map(\.id).filter({ $0 > trader.id }).max() else { return }
        fail(Violation(.bully, """
            the run settled with P\(trader.id) trading, \(trader.config.requests - trader.buyer.completed) of its requests \
            unmade, while P\(higher) was up
            """))
    }

    /// A buyer counts a request done only once the store decided it: at rest, a buyer that
    /// finished has exactly its requests recorded, no fewer.
    func checkEveryCountedRequestRecorded() {
        var recorded: [PeerID: Int] = [:]
        for id in store.requests.keys { recorded[id.buyer, default: 0] += 1 }
        for node in nodes where !node.down {
            guard let peer = node.peer, peer.config.role == .buyer, peer.buyer.completed != recorded[peer.id] ?? 0 else {
                continue
            }
            fail(Violation(.requestsInSequence, """
                P\(peer.id) counts \(peer.buyer.completed) requests done; the store records \(recorded[peer.id] ?? 0)
                """))
        }
    }

    /// Keeps the first violation, with the events that led to it.
    func fail(_ violation: Violation?) {
        guard let violation, result.failure == nil else { return }
        result.failure = SimulationFailure(violation: violation, at: now, trace: trace)
    }

    func fail(_ violations: [Violation]) {
        fail(violations.first)
    }

    func remember(_ event: SimEvent) {
        if trace.count == Self.traceLength { trace.removeFirst() }
        trace.append("\(Self.format(now)) \(Self.describe(event))")
    }

    func summary() -> String {
        let peers = nodes.filter { !$0.down }.map { node -> String in
            guard let peer = node.peer else { return "P\(node.config.id) down" }
            var text = "P\(peer.id) \(peer.status) leader \(peer.leader.map { "P\($0)" } ?? "-") epoch \(peer.knownEpoch)"
            if peer.config.role == .buyer { text += " bought \(peer.buyer.completed)/\(peer.config.requests)" }
            if node.paused { text += " paused" }
            return text
        }
        return "store epoch \(store.epoch), \(store.pendingCount) pending, \(store.outboxCount) undelivered; " + peers.joined(separator: "; ")
    }
}
