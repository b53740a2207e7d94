/// What a peer holds while it is the trader.
public struct TraderState: Hashable, Sendable {
    public enum Phase: Hashable, Sendable {
        /// Claimed the epoch, loading what the earlier trader left.
        case loading
        case active
    }

    public let epoch: Epoch
    public internal(set) var phase: Phase = .loading
    public internal(set) var book: OrderBook
    public internal(set) var inventory = Inventory()
    var nextDecisionSeq = 1
    /// Popped from the book, not yet committed: a retry of one of these must not re-enter.
    var deciding: Set<RequestID> = []
    var commitInFlight = false
    var flushInFlight = false
    /// Committed results and payouts not yet confirmed, with when they were last sent.
    var unconfirmed: [DeliveryKey: Unconfirmed] = [:]
    var confirmed: [DeliveryKey] = []
    /// Buys that arrived while loading, and whether each was a first attempt.
    var waiting: [Waiting] = []
    /// Requests after whose enqueue the trader falls sick (the lab's fault, drawn on arrival).
    var sickAfterQueueing: Set<RequestID> = []
    /// The key of the last decision, and the peers it was decided without (not live then).
    var lastDecided: OrderKey?
    var decidedWithout: Set<PeerID> = []
    /// The buyers this trader hears from, as a numbered view of the epoch (`ViewChange`).
    var view: TraderView?
    /// Sellers with a deposit in this epoch's books (the takeover's or one recorded since).
    var depositors: Set<PeerID> = []
    /// The head held back for a seller's first deposit, so the log says so once.
    var heldForSellers: RequestID?

    struct Unconfirmed: Hashable, Sendable {
        var item: OutboxItem
        var sentAt: Duration
    }

    struct Waiting: Hashable, Sendable {
        var request: BuyRequest
        var firstAttempt: Bool
    }

    init(epoch: Epoch, rule: OrderBook.StabilityRule) {
        self.epoch = epoch
        book = OrderBook(rule: rule)
    }

    /// The views a batch decided among `members` must record: the view taken over with, if no
    /// batch wrote it yet, and a new one if the members changed since the last.
    mutating func enterView(_ members: [PeerID], trader: PeerID, firstSeq: Int) -> [ViewChange] {
        let now = Set(members)
        let current = view ?? TraderView(number: 0, members: now, recorded: false)
        var changes: [ViewChange] = []
        if !current.recorded {
            changes.append(ViewChange(epoch: epoch, view: current.number, trader: trader,
                                      members: Array(current.members), firstSeq: firstSeq))
        }
        var next = current
        next.recorded = true
        if now != current.members {
            next = TraderView(number: current.number + 1, members: now, recorded: true)
            changes.append(ViewChange(
                epoch: epoch, view: next.number, trader: trader, members: members,
                dropped: Array(current.members.subtracting(now)), readmitted: Array(now.subtracting(current.members)),
                firstSeq: firstSeq))
        }
        view = next
        return changes
    }

    public var pendingCount: Int { book.count + deciding.count }
    public var unconfirmedCount: Int { unconfirmed.count }
}

extension Peer {
    mutating func tookOver(_ takeover: Takeover) {
        guard var state = trader, state.phase == .loading, takeover.epoch == state.epoch else { return }
        for request in takeover.pending {
            state.book.insert(request, durable: true)
        }
        state.inventory = Inventory(deposits: takeover.deposits, sold: takeover.sold)
        state.depositors = Set(takeover.deposits.map(\.seller))
        state.nextDecisionSeq = takeover.lastDecisionSeq + 1
        state.view = TraderView(number: 0, members: Set(viewMembers), recorded: false)
        state.phase = .active
        clock.advance(past: takeover.maxLamport)
        let waiting = state.waiting
        state.waiting = []
        trader = state
        log("took over epoch \(state.epoch): \(takeover.pending.count) pending, \(takeover.outbox.count) to re-send")
        broadcast(.coordinator(epoch: state.epoch))
        for item in takeover.outbox {
            deliver(item)
        }
        // Its own unanswered requests are still requests: they join the queue like any other.
        for own in buyer.inFlight {
            admit(own)
        }
        for entry in waiting {
            admit(entry.request, firstAttempt: entry.firstAttempt)
        }
    }

    mutating func receiveBuy(_ request: BuyRequest, firstAttempt: Bool, from peer: PeerID) {
        guard request.buyer == peer else { return }
        if let state = trader, leader == id {
            if !pipelined { confirmEarlierResults(of: request.id) }
            if state.phase == .loading {
                trader?.waiting.append(TraderState.Waiting(request: request, firstAttempt: firstAttempt))
            } else {
                admit(request, firstAttempt: firstAttempt)
            }
        } else {
            sawBuy(request, from: peer)
        }
    }

    /// A buyer with one request in flight sends a request only after it has the result of its
    /// previous one: the results of its earlier requests need no confirmation of their own.
    /// With several in flight a later request proves nothing of that, so they are confirmed
    /// as payouts are, with `delivered`.
    mutating func confirmEarlierResults(of requestID: RequestID) {
        guard let state = trader else { return }
        let buyer = requestID.buyer
        let keys = state.unconfirmed.keys.filter {
            $0.recipient == buyer && $0.requestID.buyer == buyer && $0.requestID.seq < requestID.seq
        }
        for key in keys.sorted() {
            trader?.unconfirmed[key] = nil
            trader?.confirmed.append(key)
        }
    }

    /// A buy reaches the trader: into the book at once (so nothing later-stamped overtakes it
    /// while its enqueue is in flight), durable when the store says so. A first attempt that
    /// is stable on arrival, with nothing ahead of it, skips the enqueue: the transaction that
    /// decides it records it, one commit instead of two.
    mutating func admit(_ request: BuyRequest, firstAttempt: Bool = false) {
        guard let state = trader, state.phase == .active else { return }
        guard !state.book.contains(request.id), !state.deciding.contains(request.id) else { return }
        if let last = state.lastDecided, request.orderKey < last, state.decidedWithout.contains(request.buyer) {
            // Sent while this trader could not wait for it: ordering it now would break the
            // total order, so the buyer stamps it again (its clock is now past `last`).
            send(.restamp(request.id), to: request.buyer)
            return
        }
        // The lab's fault: the trader falls sick with a queued, undecided request. Such a
        // request takes the queue's path, so the fault stays what it was.
        let sickAfterQueueing = random.chance(config.sickRate)
        if firstAttempt, !sickAfterQueueing, !state.commitInFlight, state.book.isEmpty,
           state.book.rule == .immediate || OrderBook.isStable(request.orderKey, lastSeen: lastSeen, others: stabilityPeers) {
            trader?.book.insert(request, durable: true)
            return
        }
        trader?.book.insert(request, durable: false)
        if sickAfterQueueing { trader?.sickAfterQueueing.insert(request.id) }
        persist(.enqueue(request, epoch: state.epoch))
    }

    /// The live peers other than the trader that may still send a request: the ones a head
    /// must be stable against.
    var stabilityPeers: [PeerID] {
        stabilityPeers(among: viewMembers)
    }

    func stabilityPeers(among members: [PeerID]) -> [PeerID] {
        members.filter { !doneBuying.contains($0) }
    }

    /// The buyers of the run the trader hears from: its view. One that said it is done stays a
    /// member (it is not waited for, but nothing about it changed); one silent past the suspect
    /// time leaves, and comes back when heard from.
    var viewMembers: [PeerID] {
        others.filter { (config.buyers?.contains($0) ?? true) && isLive($0) }
    }

    mutating func enqueued(_ request: BuyRequest) {
        guard trader?.phase == .active, trader?.book.contains(request.id) == true else { return }
        trader?.book.markDurable(request)
        if request.buyer != id {
            send(.queued(request.id), to: request.buyer)
        }
        if trader?.sickAfterQueueing.remove(request.id) != nil {
            fallSick(config.sickMode)
        }
    }

    mutating func alreadyPending(_ request: BuyRequest) {
        guard trader?.phase == .active else { return }
        trader?.book.markDurable(request)
    }

    mutating func alreadyDecided(_ decision: Decision) {
        guard trader?.phase == .active else { return }
        trader?.book.remove(decision.request.id)
        for item in OutboxItem.items(for: decision) where item.recipient == decision.request.buyer {
            deliver(item)
        }
    }

    mutating func receiveDeposit(_ deposit: Deposit) {
        guard let state = trader, state.phase == .active, leader == id else { return }
        persist(.recordDeposit(deposit, epoch: state.epoch))
    }

    mutating func depositRecorded(_ deposit: Deposit, duplicate: Bool) {
        guard trader?.phase == .active else { return }
        if !duplicate {
            trader?.inventory.add(deposit)
        }
        trader?.depositors.insert(deposit.seller)
        if deposit.seller == id {
            sellerDepositAccepted(deposit.id)
        } else {
            send(.depositAccepted(depositID: deposit.id), to: deposit.seller)
        }
    }

    /// Decides every head the book lets go of, as one batch in one transaction.
    mutating func decide() {
        guard var state = trader, state.phase == .active, !state.commitInFlight, state.book.head?.durable == true else { return }
        // The view is the set stability is judged against in this very step.
        let members = viewMembers
        let heads = state.book.popDecidable(lastSeen: lastSeen, others: stabilityPeers(among: members), limit: config.maxBatch)
        var decisions: [Decision] = []
        // Asked once a batch, and only when a buy would fail: the same for every buy of it.
        var awaited: [PeerID]?
        for (index, request) in heads.enumerated() {
            let outcome: BuyOutcome
            if let seller = state.inventory.take(request.product, quantity: request.quantity) {
                let price = config.priceCents * request.quantity
                outcome = .bought(Trade(
                    tradeID: state.nextDecisionSeq, seller: seller, trader: id, epoch: state.epoch,
                    product: request.product, quantity: request.quantity, priceCents: price,
                    commissionCents: price * config.commissionPercent / 100))
            } else if case let waitingFor = awaited ?? sellersYetToDeposit(state), !waitingFor.isEmpty {
                // The market opens with its sellers: a buy that would fail now waits, and every
                // buy ordered after it with it, until their first deposits land or they are gone.
                for held in heads[index...] {
                    state.book.insert(held, durable: true)
                }
                if state.heldForSellers != request.id {
                    state.heldForSellers = request.id
                    log("holds \(request.id): no seller yet, waiting for the first deposit of \(waitingFor.map { "P\($0)" }.joined(separator: ", "))")
                }
                break
            } else {
                awaited = []
                outcome = .failed(.noSeller)
            }
            decisions.append(Decision(request: request, outcome: outcome, seq: state.nextDecisionSeq, epoch: state.epoch))
            state.nextDecisionSeq += 1
            state.deciding.insert(request.id)
        }
        if let last = decisions.last {
            state.lastDecided = last.request.orderKey
            state.decidedWithout.formUnion(others.filter { !isLive($0) })
        }
        guard !decisions.isEmpty else {
            trader = state
            return
        }
        let views = state.enterView(members, trader: id, firstSeq: decisions[0].seq)
        for change in views where change.view > 0 {
            log("enters view \(change.view) of epoch \(change.epoch): \(change.changeText)")
        }
        let batch = DecisionBatch(epoch: state.epoch, decisions: decisions, delivered: state.confirmed, views: views)
        state.confirmed = []
        state.commitInFlight = true
        trader = state
        persist(.commitDecisions(batch))
    }

    /// The batch is written, except the requests the store answered as decided already.
    ///
    /// How a trader comes to decide a request already decided (issue 13, item 3: a run ended
    /// on "request P0-1844 is already decided"). A request enters the book three ways: from
    /// the takeover's pending rows (pending when this trader's epoch began; only a newer epoch
    /// could decide it after, and that would depose this one), through an enqueue (the store
    /// answers `alreadyDecided` there), or as a first attempt stable on arrival, which skips
    /// the enqueue. Only the last can hold a decided request. A buyer sends its first attempt
    /// to its trader and to every other peer that may still buy, each copy marked
    /// `firstAttempt`, true when sent and not when read; any peer that reads a buy while it is
    /// the trader admits it, whoever it was sent to (while loading, it waits for the load).
    /// So P0, a plain buyer then, multicast P0-1844 to the trader of epoch 17 and to P3; P0
    /// won epoch 18 and decided it; P3 won epoch 19 a millisecond later, after P0's commit (the
    /// fence admits no other order), loaded a queue without it, and then read P0's first copy,
    /// still on its way, and decided it again. The same happens to a trader that decided the
    /// request itself from a pending row and reads a late first copy. Nothing in the core can
    /// tell such a copy from a true first attempt, so the store answers it in the commit with
    /// the recorded decision, and the trader takes that as the answer, as it does for a retry.
    mutating func committed(_ batch: DecisionBatch, alreadyDecided: [Decision] = []) {
        let written = batch.written(alreadyDecided: alreadyDecided)
        creditCommissions(written)
        guard let state = trader, state.epoch == batch.epoch, state.phase == .active else { return }
        trader?.commitInFlight = false
        let recorded = Dictionary(alreadyDecided.map { ($0.request.id, $0) }, uniquingKeysWith: { first, _ in first })
        for decision in batch.decisions {
            trader?.deciding.remove(decision.request.id)
            if let earlier = recorded[decision.request.id] {
                takeRecordedOutcome(earlier, insteadOf: decision)
                continue
            }
            for item in OutboxItem.items(for: decision) {
                deliver(item)
            }
        }
    }

    /// A decision the store did not write because the request was decided before: the goods
    /// it took go back, and the buyer gets the recorded result (the payout, if any, is the
    /// outbox's business: it was committed before this trader loaded, so the takeover loaded
    /// it unless it was confirmed).
    mutating func takeRecordedOutcome(_ earlier: Decision, insteadOf mine: Decision) {
        if let trade = mine.outcome.trade {
            trader?.inventory.putBack(trade.product, quantity: trade.quantity, seller: trade.seller)
        }
        log("\(earlier.request.id) was decided in epoch \(earlier.epoch) already; its recorded result goes to P\(earlier.request.buyer)")
        alreadyDecided(earlier)
    }

    mutating func creditCommissions(_ decisions: [Decision]) {
        for decision in decisions {
            if let trade = decision.outcome.trade, trade.trader == id {
                ledger.record(commissionOf: trade)
            }
        }
    }

    /// Sends a committed result or payout and keeps it until its recipient confirms.
    mutating func deliver(_ item: OutboxItem) {
        if item.recipient == id {
            // The trader's own request or goods, from before it traded: no wire needed.
            switch item.message {
            case .buyResult(let requestID, let outcome): applyResult(requestID, outcome)
            case .payout(_, let trade): applyPayout(trade)
            default: break
            }
            trader?.confirmed.append(item.key)
            return
        }
        let sentAt = now
        trader?.unconfirmed[item.key] = TraderState.Unconfirmed(item: item, sentAt: sentAt)
        send(item.message, to: item.recipient)
    }

    mutating func receiveDelivered(_ requestIDs: [RequestID], from peer: PeerID) {
        for requestID in requestIDs {
            let key = DeliveryKey(requestID: requestID, recipient: peer)
            if trader?.unconfirmed.removeValue(forKey: key) != nil {
                trader?.confirmed.append(key)
            }
        }
    }

    /// The trader's periodic chores: re-send what was not confirmed, write confirmations
    /// down when no decision batch is carrying them.
    mutating func traderTick() {
        guard let state = trader, state.phase == .active else { return }
        // Sorted: dictionary order differs between processes, and runs must replay exactly.
        for key in state.unconfirmed.keys.sorted() {
            guard let entry = state.unconfirmed[key], now - entry.sentAt >= config.timing.requestTimeout else { continue }
            if isLive(entry.item.recipient) {
                deliver(entry.item)
            }
        }
        if !state.confirmed.isEmpty, !state.commitInFlight, !state.flushInFlight {
            trader?.flushInFlight = true
            trader?.confirmed = []
            persist(.markDelivered(state.confirmed))
        }
    }

    mutating func deposed(current: Epoch) {
        knownEpoch = max(knownEpoch, current)
        guard trader != nil else { return }
        stepDown("the store holds epoch \(current)")
        leader = nil
    }

    /// Stops trading: the store keeps the queue for whoever leads next.
    mutating func stepDown(_ why: String) {
        guard let state = trader else { return }
        log("steps down from epoch \(state.epoch): \(why)")
        trader = nil
        leaderContact = false
    }
}
