import MarketCore

/// Steps in words, for counterexamples and replays.
extension ExploredSystem {
    /// What `action` does in this state (before it is taken): `P0→P2 election @3`.
    public func describe(_ action: ExplorationAction) -> String {
        switch action {
        case .deliver(let from, let to), .drop(let from, let to):
            let verb = if case .drop = action { "lost: " } else { "" }
            switch links[link(from, to)].first {
            case .message(let envelope)?: return "\(verb)P\(from)→P\(to) \(envelope.message.kind) @\(envelope.clock)\(detail(envelope.message))"
            case .gone(let gone)?: return "P\(to) sees P\(gone) gone"
            case nil: return "P\(from)→P\(to) (empty link)"
            }
        case .fire(let id, let timer):
            let at = max(now, nodes[id].timers[timer] ?? now)
            return "P\(id) \(timer) timer fires (now \(Self.format(at)))"
        case .runStore(let id):
            return "store runs P\(id)'s \(nodes[id].storeRequests.first.map(Self.name) ?? "request")"
        case .storeResult(let id):
            return "P\(id) reads the store's answer: \(nodes[id].storeResults.first.map(Self.name) ?? "none")"
        case .crash(let id): return "P\(id) crashes"
        case .restart(let id): return "P\(id) restarts after its crash"
        case .pause(let id): return "P\(id) is paused"
        case .resume(let id): return "P\(id) resumes"
        }
    }

    private func detail(_ message: Message) -> String {
        switch message {
        case .coordinator(let epoch), .resign(let epoch): " epoch \(epoch)"
        case .heartbeat(let epoch, let leader): " epoch \(epoch) leader \(leader.map { "P\($0)" } ?? "none")"
        case .buy(let request, _): " \(request.id)"
        case .ack(let id), .queued(let id), .restamp(let id): " \(id)"
        case .buyResult(let id, let outcome): " \(id) \(outcome)"
        case .payout(let id, _): " \(id)"
        case .deposit(let deposit): " \(deposit.quantity) \(deposit.product.rawValue)"
        default: ""
        }
    }

    static func name(_ request: StoreRequest) -> String {
        switch request {
        case .noteElectionStarted: "note of an election"
        case .noteElectionAbandoned: "note that an election was given up"
        case .claimEpoch(let claim): "claim of epoch \(claim.epoch)"
        case .loadTakeover(let epoch): "takeover load (epoch \(epoch))"
        case .enqueue(let request, let epoch): "enqueue of \(request.id) (epoch \(epoch))"
        case .recordDeposit(let deposit, let epoch): "deposit of P\(deposit.seller) (epoch \(epoch))"
        case .commitDecisions(let batch): "commit of \(batch.decisions.map { "\($0.request.id)" }.joined(separator: ", ")) (epoch \(batch.epoch))"
        case .markDelivered: "confirmation of deliveries"
        case .loadBooks: "load of its books"
        case .readLeader: "read of the leader record"
        case .renewLease(let epoch, _): "renewal of the lease of epoch \(epoch)"
        case .readLease: "read of the lease"
        }
    }

    static func name(_ result: StoreResult) -> String {
        switch result {
        case .noted: "noted"
        case .claimed(let claim): "claimed epoch \(claim.epoch)"
        case .claimRefused(let current): "claim refused (epoch \(current))"
        case .takeover(let takeover): "takeover of epoch \(takeover.epoch), \(takeover.pending.count) pending"
        case .enqueued(let request): "enqueued \(request.id)"
        case .alreadyPending(let request): "\(request.id) already pending"
        case .alreadyDecided(let decision): "\(decision.request.id) already decided"
        case .depositRecorded: "deposit recorded"
        case .committed(let batch, _): "committed \(batch.decisions.map { "\($0.request.id)" }.joined(separator: ", "))"
        case .markedDelivered: "deliveries confirmed"
        case .books: "its books"
        case .leaderRecord(let epoch, let leader): "leader record: epoch \(epoch), \(leader.map { "P\($0)" } ?? "nobody")"
        case .deposed(let current): "deposed (the store holds epoch \(current))"
        case .leaseRenewed(let epoch): "lease of epoch \(epoch) renewed"
        case .lease(let epoch, let leader, let live):
            "lease of epoch \(epoch), \(leader.map { "P\($0)" } ?? "nobody"): \(live ? "live" : "lapsed")"
        }
    }

    static func format(_ time: Duration) -> String {
        "\(time.components.seconds * 1000 + time.components.attoseconds / 1_000_000_000_000_000) ms"
    }
}
