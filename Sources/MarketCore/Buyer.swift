/// A buyer's side: one request at a time, retried with the same id until it is decided.
public struct BuyerState: Hashable, Sendable {
    public internal(set) var nextSeq = 0
    public internal(set) var outstanding: BuyRequest?
    public internal(set) var completed = 0
    public internal(set) var failed = 0
    /// The epoch whose trader last got the outstanding request; a new trader gets it at once.
    var sentInEpoch: Epoch?
}

extension Peer {
    /// True when this buyer made every request it was asked to and has them answered.
    public var finishedBuying: Bool {
        config.role != .buyer || (buyer.completed >= config.requests && buyer.outstanding == nil)
    }

    mutating func buyIfReady() {
        guard config.role == .buyer, let leader, leader != id, leaderContact else { return }
        if let request = buyer.outstanding {
            if buyer.sentInEpoch != knownEpoch { multicast(request) }
            return
        }
        guard buyer.completed < config.requests else { return }
        let request = BuyRequest(
            id: RequestID(buyer: id, seq: buyer.nextSeq), product: config.product,
            quantity: config.quantity, lamport: clock.next)
        buyer.nextSeq += 1
        buyer.outstanding = request
        multicast(request)
    }

    /// Sends the request to every peer with one stamp; a retry gets a fresh stamp.
    mutating func multicast(_ request: BuyRequest) {
        var stamped = request
        stamped.lamport = clock.next
        buyer.outstanding = stamped
        buyer.sentInEpoch = knownEpoch
        broadcast(.buy(stamped))
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
    }

    mutating func requestTimedOut() {
        guard let request = buyer.outstanding, trader == nil else { return }
        if let leader, isLive(leader), leaderContact {
            log("no answer to \(request.id); retrying")
            multicast(request)
            return
        }
        if leader != nil {
            loseLeader()
        }
        startElection(.requestTimeout, initiator: id)
        // Retried as soon as a trader is known again (progress), or at the next timeout.
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
    }

    mutating func receiveRestamp(_ requestID: RequestID) {
        guard let request = buyer.outstanding, request.id == requestID, trader == nil else { return }
        log("\(requestID) was stamped too early for the trader; stamping it again")
        multicast(request)
    }

    mutating func receiveQueued(_ requestID: RequestID) {
        guard buyer.outstanding?.id == requestID else { return }
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
    }

    mutating func receiveResult(_ requestID: RequestID, _ outcome: BuyOutcome, from peer: PeerID) {
        applyResult(requestID, outcome)
        send(.delivered(requestID), to: peer)
    }

    /// Counts a result once: only the outstanding request's; older ones are echoes.
    mutating func applyResult(_ requestID: RequestID, _ outcome: BuyOutcome) {
        guard buyer.outstanding?.id == requestID else { return }
        buyer.outstanding = nil
        buyer.completed += 1
        switch outcome {
        case .bought(let trade): ledger.record(buying: trade)
        case .failed(let reason):
            buyer.failed += 1
            log("\(requestID) failed: \(reason.rawValue)")
        }
        effects.append(.cancelTimer(.request))
    }
}
