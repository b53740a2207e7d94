import MarketCore

/// The store contract in memory, for the simulator: the same semantics as the SQLite store,
/// plus a record of every write so the simulator can check invariants as they happen.
public final class InMemoryStore: TradingPostStore {
    public enum Status: Hashable, Sendable {
        case pending
        case decided(Decision)
    }

    public struct RequestRecord: Hashable, Sendable {
        public var request: BuyRequest
        public var epochReceived: Epoch
        public var status: Status
    }

    /// A committed batch as written and the epoch the store held when it was written, with
    /// the recorded decisions of the requests it named that were decided before (not written).
    public struct Commit: Hashable, Sendable {
        public var batch: DecisionBatch
        public var storeEpoch: Epoch
        public var alreadyDecided: [Decision] = []
    }

    /// Refuses writes from an old epoch. Switching it off plants a bug for the simulator's tests.
    public var fencing: Bool

    public private(set) var epoch: Epoch = 0
    public private(set) var leader: PeerID?
    public private(set) var claims: [ElectionClaim] = []
    /// Some peer started an election that no claim has ended yet.
    public private(set) var electionInProgress = false
    /// The peer whose note began the election in progress (the first note wins, as in SQLite).
    public private(set) var electionInitiator: PeerID?
    /// Notes withdrawn by the peer that made them: elections that ended without a claim.
    public private(set) var abandonedNotes = 0
    public private(set) var requests: [RequestID: RequestRecord] = [:]
    /// Request ids in the order they were first recorded, for deterministic reads.
    private var requestOrder: [RequestID] = []
    public private(set) var deposits: [Deposit] = []
    private var depositIDs: Set<Int> = []
    public private(set) var deposited: [SellerProduct: Int] = [:]
    public private(set) var sold: [SellerProduct: Int] = [:]
    public private(set) var stock: [SellerProduct: Int] = [:]
    public private(set) var commits: [Commit] = []
    /// The highest decision sequence written (a commit whose requests were all decided before
    /// writes none, so the last commit's last decision is not it).
    private var lastDecisionSeq = 0
    private var outbox: [DeliveryKey: OutboxItem] = [:]
    private var outboxOrder: [DeliveryKey] = []

    /// The store's clock, for the lease: the simulator sets it to virtual time before each
    /// request. Without one (the explorer, which has no time) a lease may lapse at any time,
    /// and is taken to have lapsed at once: every read finds it expired, so the explorer
    /// walks every election a silent trader can cause, and a lease only ever prevents one.
    public var clock: Duration?
    /// Until when the trader of `epoch` holds its lease (nil: no lease, or no clock).
    public private(set) var leaseUntil: Duration?

    public init(fencing: Bool = true) {
        self.fencing = fencing
    }

    public private(set) var pendingCount = 0
    public var outboxCount: Int { outbox.count }
    public var decisions: [Decision] { commits.flatMap(\.batch.decisions) }
    /// Every view recorded, in the order the batches carrying them were written.
    public var views: [ViewChange] { commits.flatMap(\.batch.views) }

    private func isStale(_ writer: Epoch) -> Bool {
        fencing && writer != epoch
    }

    public func noteElectionStarted(by peer: PeerID, reason: ElectionReason, knownEpoch: Epoch) throws -> StoreResult {
        // A peer behind the stored epoch notes an election that a claim has already ended.
        if knownEpoch >= epoch, !electionInProgress {
            electionInProgress = true
            electionInitiator = peer
        }
        return .noted
    }

    public func noteElectionAbandoned(by peer: PeerID) throws -> StoreResult {
        if electionInitiator == peer {
            abandonedNotes += 1
            electionInProgress = false
            electionInitiator = nil
        }
        return .noted
    }

    public func claimEpoch(_ claim: ElectionClaim) throws -> StoreResult {
        guard claim.epoch == epoch + 1 else { return .claimRefused(current: epoch) }
        electionInProgress = false
        electionInitiator = nil
        epoch = claim.epoch
        leader = claim.leader
        leaseUntil = nil
        claims.append(claim)
        return .claimed(claim)
    }

    public func loadTakeover(epoch writer: Epoch) throws -> StoreResult {
        if isStale(writer) { return .deposed(current: epoch) }
        let pending = requestOrder.compactMap { id -> BuyRequest? in
            guard let record = requests[id], record.status == .pending else { return nil }
            return record.request
        }.sorted { $0.orderKey < $1.orderKey }
        return .takeover(Takeover(
            epoch: writer, pending: pending, deposits: deposits, sold: sold,
            outbox: outboxOrder.compactMap { outbox[$0] },
            lastDecisionSeq: lastDecisionSeq,
            maxLamport: requests.values.map(\.request.lamport).max() ?? 0))
    }

    public func enqueue(_ request: BuyRequest, epoch writer: Epoch) throws -> StoreResult {
        if isStale(writer) { return .deposed(current: epoch) }
        if let record = requests[request.id] {
            switch record.status {
            case .pending: return .alreadyPending(record.request)
            case .decided(let decision): return .alreadyDecided(decision)
            }
        }
        requests[request.id] = RequestRecord(request: request, epochReceived: writer, status: .pending)
        requestOrder.append(request.id)
        pendingCount += 1
        return .enqueued(request)
    }

    public func recordDeposit(_ deposit: Deposit, epoch writer: Epoch) throws -> StoreResult {
        if isStale(writer) { return .deposed(current: epoch) }
        guard depositIDs.insert(deposit.id).inserted else { return .depositRecorded(deposit, duplicate: true) }
        deposits.append(deposit)
        let key = SellerProduct(seller: deposit.seller, product: deposit.product)
        deposited[key, default: 0] += deposit.quantity
        stock[key, default: 0] += deposit.quantity
        return .depositRecorded(deposit, duplicate: false)
    }

    public func commitDecisions(_ batch: DecisionBatch) throws -> StoreResult {
        if isStale(batch.epoch) { return .deposed(current: epoch) }
        // Checked whole before anything is written, as the SQLite store's transaction rolls back.
        var named = Set<RequestID>()
        for decision in batch.decisions where !named.insert(decision.request.id).inserted {
            throw BatchRefusal.namedTwice(decision.request.id)
        }
        var alreadyDecided: [Decision] = []
        var taken: [SellerProduct: Int] = [:]
        for decision in batch.decisions {
            if case .decided(let earlier) = requests[decision.request.id]?.status {
                alreadyDecided.append(earlier)
                continue
            }
            if let trade = decision.outcome.trade {
                let goods = SellerProduct(seller: trade.seller, product: trade.product)
                guard (stock[goods] ?? 0) - taken[goods, default: 0] >= trade.quantity else {
                    throw BatchRefusal.insufficientStock(seller: trade.seller, product: trade.product, quantity: trade.quantity)
                }
                taken[goods, default: 0] += trade.quantity
            }
        }
        let written = batch.written(alreadyDecided: alreadyDecided)
        commits.append(Commit(batch: DecisionBatch(epoch: batch.epoch, decisions: written, delivered: batch.delivered,
                                                   views: batch.views),
                              storeEpoch: epoch, alreadyDecided: alreadyDecided))
        for decision in written {
            let id = decision.request.id
            lastDecisionSeq = max(lastDecisionSeq, decision.seq)
            if requests[id] == nil {
                requestOrder.append(id)
            }
            if requests[id]?.status == .pending { pendingCount -= 1 }
            let received = requests[id]?.epochReceived ?? batch.epoch
            requests[id] = RequestRecord(request: requests[id]?.request ?? decision.request,
                                         epochReceived: received, status: .decided(decision))
            if let trade = decision.outcome.trade {
                let key = SellerProduct(seller: trade.seller, product: trade.product)
                sold[key, default: 0] += trade.quantity
                stock[key, default: 0] -= trade.quantity
            }
            for item in OutboxItem.items(for: decision) where outbox.updateValue(item, forKey: item.key) == nil {
                outboxOrder.append(item.key)
            }
        }
        forget(batch.delivered)
        return .committed(batch, alreadyDecided: alreadyDecided)
    }

    public func markDelivered(_ keys: [DeliveryKey]) throws -> StoreResult {
        forget(keys)
        return .markedDelivered(keys)
    }

    private func forget(_ keys: [DeliveryKey]) {
        guard !keys.isEmpty else { return }
        let gone = Set(keys.filter { outbox.removeValue(forKey: $0) != nil })
        if !gone.isEmpty {
            outboxOrder.removeAll { gone.contains($0) }
        }
    }

    public func readLeader() throws -> StoreResult {
        .leaderRecord(epoch: epoch, leader: leader)
    }

    public func renewLease(epoch writer: Epoch, for term: Duration) throws -> StoreResult {
        if isStale(writer) { return .deposed(current: epoch) }
        if let clock { leaseUntil = clock + term }
        return .leaseRenewed(epoch: writer)
    }

    public func readLease() throws -> StoreResult {
        let live = if let clock, let leaseUntil { clock < leaseUntil } else { false }
        return .lease(epoch: epoch, leader: leader, live: live)
    }

    public func loadBooks(peer: PeerID) throws -> StoreResult {
        let decided = decisions
        var books = PeerBooks(peer: peer, ledger: Ledger.books(of: decided)[peer] ?? Ledger())
        for decision in decided {
            if let trade = decision.outcome.trade, trade.seller == peer {
                books.sellerTradeIDs.insert(trade.tradeID)
                books.soldByProduct[trade.product, default: 0] += trade.quantity
            }
        }
        for id in requestOrder where id.buyer == peer {
            guard let record = requests[id] else { continue }
            books.requests.append(record.request)
            if record.status == .pending { books.pendingRequests.append(id) }
        }
        books.pendingRequests.sort()
        books.deposits = deposits.filter { $0.seller == peer }
        return .books(books)
    }
}

/// The explorer's side: a store is part of each explored state, so it is copied before a step
/// changes it, and equal stores (every field, history included) make one state.
extension InMemoryStore: Hashable {
    /// An independent store holding the same contents.
    public func copy() -> InMemoryStore {
        let copy = InMemoryStore(fencing: fencing)
        copy.epoch = epoch
        copy.leader = leader
        copy.clock = clock
        copy.leaseUntil = leaseUntil
        copy.claims = claims
        copy.electionInProgress = electionInProgress
        copy.electionInitiator = electionInitiator
        copy.abandonedNotes = abandonedNotes
        copy.requests = requests
        copy.requestOrder = requestOrder
        copy.deposits = deposits
        copy.depositIDs = depositIDs
        copy.deposited = deposited
        copy.sold = sold
        copy.stock = stock
        copy.commits = commits
        copy.lastDecisionSeq = lastDecisionSeq
        copy.outbox = outbox
        copy.outboxOrder = outboxOrder
        copy.pendingCount = pendingCount
        return copy
    }

    public static func == (lhs: InMemoryStore, rhs: InMemoryStore) -> Bool {
        lhs === rhs || (lhs.fencing == rhs.fencing && lhs.epoch == rhs.epoch && lhs.leader == rhs.leader
            && lhs.clock == rhs.clock && lhs.leaseUntil == rhs.leaseUntil
            && lhs.claims == rhs.claims && lhs.electionInProgress == rhs.electionInProgress
            && lhs.electionInitiator == rhs.electionInitiator && lhs.abandonedNotes == rhs.abandonedNotes
            && lhs.requests == rhs.requests && lhs.requestOrder == rhs.requestOrder && lhs.deposits == rhs.deposits
            && lhs.depositIDs == rhs.depositIDs && lhs.deposited == rhs.deposited && lhs.sold == rhs.sold
            && lhs.stock == rhs.stock && lhs.commits == rhs.commits && lhs.lastDecisionSeq == rhs.lastDecisionSeq
            && lhs.outbox == rhs.outbox && lhs.outboxOrder == rhs.outboxOrder && lhs.pendingCount == rhs.pendingCount)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fencing)
        hasher.combine(epoch)
        hasher.combine(leader)
        hasher.combine(clock)
        hasher.combine(leaseUntil)
        hasher.combine(claims)
        hasher.combine(electionInProgress)
        hasher.combine(electionInitiator)
        hasher.combine(abandonedNotes)
        hasher.combine(requests)
        hasher.combine(requestOrder)
        hasher.combine(deposits)
        hasher.combine(depositIDs)
        hasher.combine(deposited)
        hasher.combine(sold)
        hasher.combine(stock)
        hasher.combine(commits)
        hasher.combine(lastDecisionSeq)
        hasher.combine(outbox)
        hasher.combine(outboxOrder)
        hasher.combine(pendingCount)
    }
}
