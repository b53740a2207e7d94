/// A buyer's side: one request at a time, retried with the same id until it is decided.
public struct BuyerState: Hashable, Sendable {
    public internal(set) var nextSeq = 0
    public internal(set) var outstanding: BuyRequest?
    public internal(set) var completed = 0
    public internal(set) var failed = 0
    /// The epoch whose trader last got the outstanding request; a new trader gets it at once.
    var sentInEpoch: Epoch?
    /// The outstanding request went out before (or a store holds it): any trader may have it.
    var outstandingSent = false
}

extension Peer {
    /// True when this buyer made every request it was asked to and has them answered.
    public var finishedBuying: Bool {
        config.role != .buyer || (buyer.completed >= config.requests && buyer.outstanding == nil)
    }

    /// This peer can still send a request.
    var mayStillBuy: Bool { config.role == .buyer && !finishedBuying }

    /// `peer` can still send a request, as far as this peer knows: a buyer that did not say
    /// it is done. Only those precede anything, so only they get the multicast and only they
    /// are waited for.
    func canStillBuy(_ peer: PeerID) -> Bool {
        (config.buyers?.contains(peer) ?? true) && !doneBuying.contains(peer)
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
        buyer.outstandingSent = false
        multicast(request)
    }

    /// Sends the request with one stamp to the trader and to every other peer that may still
    /// buy (the only ones that could precede it); a retry gets a fresh stamp.
    mutating func multicast(_ request: BuyRequest) {
        guard let leader, leader != id else { return }
        var stamped = request
        stamped.lamport = clock.next
        buyer.outstanding = stamped
        buyer.sentInEpoch = knownEpoch
        let firstAttempt = !buyer.outstandingSent
        buyer.outstandingSent = true
        // The request confirms this buyer's earlier results to the trader by itself.
        let me = id
        owedConfirmations[leader]?.removeAll { $0.buyer == me && $0.seq < request.id.seq }
        let others = config.peers.filter { $0 != id && $0 != leader && canStillBuy($0) }
        broadcast(.buy(stamped, firstAttempt: firstAttempt), to: [leader] + others)
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
    }

    /// A buy from another buyer: the trader needs to hear from this peer, stamped past it,
    /// only if this peer may still buy and has no request of its own on the way to the trader
    /// (that request, ahead on the same FIFO link, already tells the trader all it needs).
    mutating func sawBuy(_ request: BuyRequest, from peer: PeerID) {
        guard let leader, leader != peer, leader != id, mayStillBuy else { return }
        if buyer.outstanding != nil, buyer.sentInEpoch == knownEpoch { return }
        ackOwed = request.id
    }

    /// The end of a turn: one acknowledgement for every buy of the turn.
    mutating func endTurn() {
        guard let owed = ackOwed else { return }
        ackOwed = nil
        guard let leader, leader != id else { return }
        send(.ack(owed), to: leader)
    }

    /// Tells `peers` that this peer will send no requests: when it made its last, or when a
    /// new trader might still count on it.
    mutating func announceDoneBuying(to peers: [PeerID]) {
        guard !mayStillBuy, config.buyers?.contains(id) ?? true else { return }
        let targets = peers.filter { $0 != id }
        if !targets.isEmpty { broadcast(.doneBuying, to: targets) }
    }

    mutating func requestTimedOut() {
        guard let request = buyer.outstanding, trader == nil else { return }
        if let leader, isLive(leader), leaderContact {
            log("no answer to \(request.id); retrying")
            multicast(request)
            return
        }
        // Retried as soon as a trader is known again (progress), or at the next timeout.
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
        if leader.map(isLive) != true {
            // Silent, or none known: cut off is not gone, and the store's lease says whether
            // to elect (`Lease.swift`); while it is live the request is sent again.
            askLease(electing: .requestTimeout)
            return
        }
        loseLeader()
        startElection(.requestTimeout, initiator: id)
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
        owesConfirmation(of: requestID, to: peer)
        applyResult(requestID, outcome)
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
        if buyer.completed >= config.requests {
            var told = config.peers.filter { $0 != leader && canStillBuy($0) }
            if let leader { told.insert(leader, at: 0) }
            announceDoneBuying(to: told)
        }
    }
}
