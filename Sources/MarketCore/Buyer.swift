/// A buyer's side: up to `PeerConfig.inFlight` requests at a time (one unless the run says
/// more), each retried with the same id until it is decided.
public struct BuyerState: Hashable, Sendable {
    public internal(set) var nextSeq = 0
    /// Requests made and not answered yet, in seq order (a retry goes out in that order).
    public internal(set) var inFlight: [BuyRequest] = []
    public internal(set) var completed = 0
    public internal(set) var failed = 0
    /// The epoch whose trader last got the requests in flight; a new trader gets them at once.
    var sentInEpoch: Epoch?
    /// Requests in flight that went out before (or a store holds them): any trader may have them.
    var sentBefore: Set<RequestID> = []

    /// The oldest request in flight (with one in flight, the only one).
    public var outstanding: BuyRequest? { inFlight.first }
}

extension Peer {
    /// True when this buyer made every request it was asked to and has them answered.
    public var finishedBuying: Bool {
        config.role != .buyer || (buyer.completed >= config.requests && buyer.inFlight.isEmpty)
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
        if !buyer.inFlight.isEmpty, buyer.sentInEpoch != knownEpoch {
            // A trader that may not have them: every unanswered request again, in seq order.
            for request in buyer.inFlight { multicast(request) }
        }
        while buyer.inFlight.count < max(1, config.inFlight), buyer.completed + buyer.inFlight.count < config.requests {
            let request = BuyRequest(
                id: RequestID(buyer: id, seq: buyer.nextSeq), product: config.product,
                quantity: config.quantity, lamport: clock.next)
            buyer.nextSeq += 1
            buyer.inFlight.append(request)
            multicast(request)
        }
    }

    /// The run lets a buyer keep several requests in flight (`PeerConfig.inFlight`).
    var pipelined: Bool { config.inFlight > 1 }

    /// Sends the request with one stamp to the trader and, with one request in flight, to every
    /// other peer that may still buy (the only ones that could precede it); a retry gets a fresh
    /// stamp.
    ///
    /// With several in flight the trader alone gets it. The multicast is there for liveness, not
    /// safety: the trader decides a request only once every other buyer has sent it something
    /// stamped later, whoever told that buyer what. A buyer that pipelines always has a request
    /// on the way, is waiting for results, or has said `done_buying`; each result is stamped past
    /// every request the trader had received, so the requests it makes next are stamped past
    /// them too, and the lowest request in the book always becomes stable. So a buy costs a
    /// request and a result, not one envelope per buyer: at 64 peers, 4 envelopes a buy, not 51.
    mutating func multicast(_ request: BuyRequest) {
        guard let leader, leader != id else { return }
        guard let index = buyer.inFlight.firstIndex(where: { $0.id == request.id }) else { return }
        var stamped = request
        stamped.lamport = clock.next
        buyer.inFlight[index] = stamped
        buyer.sentInEpoch = knownEpoch
        let firstAttempt = buyer.sentBefore.insert(request.id).inserted
        if !pipelined {
            // With one in flight, the request confirms this buyer's earlier results to the trader
            // by itself; with several, a later request says nothing of the earlier ones' results.
            let me = id
            owedConfirmations[leader]?.removeAll { $0.buyer == me && $0.seq < request.id.seq }
        }
        let others = pipelined ? [] : config.peers.filter { $0 != id && $0 != leader && canStillBuy($0) }
        broadcast(.buy(stamped, firstAttempt: firstAttempt), to: [leader] + others)
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
    }

    /// A buy from another buyer: the trader needs to hear from this peer, stamped past it,
    /// only if this peer may still buy and has no request of its own on the way to the trader
    /// (that request, ahead on the same FIFO link, already tells the trader all it needs: its
    /// result brings the next request, stamped past this buy, or `done_buying`). With several
    /// requests in flight the same holds for each: such a buyer acknowledges nothing.
    mutating func sawBuy(_ request: BuyRequest, from peer: PeerID) {
        guard let leader, leader != peer, leader != id, mayStillBuy else { return }
        if !buyer.inFlight.isEmpty, buyer.sentInEpoch == knownEpoch { return }
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
            let more = buyer.inFlight.count - 1
            log("no answer to \(request.id)\(more > 0 ? " and \(more) more" : ""); retrying")
            for request in buyer.inFlight { multicast(request) }
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
        guard let request = buyer.inFlight.first(where: { $0.id == requestID }), trader == nil else { return }
        log("\(requestID) was stamped too early for the trader; stamping it again")
        multicast(request)
    }

    mutating func receiveQueued(_ requestID: RequestID) {
        guard buyer.inFlight.contains(where: { $0.id == requestID }) else { return }
        effects.append(.setTimer(.request, after: config.timing.requestTimeout))
    }

    mutating func receiveResult(_ requestID: RequestID, _ outcome: BuyOutcome, from peer: PeerID) {
        owesConfirmation(of: requestID, to: peer)
        applyResult(requestID, outcome)
    }

    /// Counts a result once: only a request's in flight; others are echoes. With several in
    /// flight, results come in the order the trader decided them, whatever their seqs.
    mutating func applyResult(_ requestID: RequestID, _ outcome: BuyOutcome) {
        guard let index = buyer.inFlight.firstIndex(where: { $0.id == requestID }) else { return }
        buyer.inFlight.remove(at: index)
        buyer.sentBefore.remove(requestID)
        buyer.completed += 1
        switch outcome {
        case .bought(let trade): ledger.record(buying: trade)
        case .failed(let reason):
            buyer.failed += 1
            log("\(requestID) failed: \(reason.rawValue)")
        }
        if buyer.inFlight.isEmpty { effects.append(.cancelTimer(.request)) }
        if buyer.completed >= config.requests {
            var told = config.peers.filter { $0 != leader && canStillBuy($0) }
            if let leader { told.insert(leader, at: 0) }
            announceDoneBuying(to: told)
        }
    }
}
