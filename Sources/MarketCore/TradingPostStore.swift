/// The trading post's durable memory, as the protocol needs it. The simulator's in-memory
/// store and the SQLite store both implement it, and one contract test suite pins both.
///
/// Every trader write names the writer's epoch and is refused with `.deposed(current:)`
/// when the store already holds a newer one: the epoch is a fencing token.
public protocol TradingPostStore: AnyObject {
    /// Notes that a peer started an election because the trader is gone (or there is none
    /// yet): the leader record shows an election in progress until a claim lands (or the
    /// note's own peer gives the election up, `noteElectionAbandoned`), and the
    /// claim's `elections` row starts at the first such note and keeps its initiator and
    /// reason (the winner itself mostly joined through Bully's cascade). `.noted`.
    ///
    /// A note from a peer that does not know the stored epoch yet (`knownEpoch` is older) is
    /// about an election a claim has already ended: it changes nothing, so the record does
    /// not show an election in progress that nobody will finish.
    func noteElectionStarted(by peer: PeerID, reason: ElectionReason, knownEpoch: Epoch) throws -> StoreResult

    /// Notes that `peer` gave up the election it started without anyone claiming an epoch
    /// (the trader it thought gone answered, or the peer lost its memory or fell sick): if the
    /// note in the leader record is its own, the record shows no election in progress, so
    /// the next election's note starts afresh instead of inheriting this one's start,
    /// initiator and reason. A note another peer made stays: that peer may still be electing.
    /// Only the peer can say so: the store cannot judge a note stale from the trader's later
    /// writes, since in a recovery or lower-trader election the trader rightly trades on
    /// until the claim. `.noted`.
    func noteElectionAbandoned(by peer: PeerID) throws -> StoreResult

    /// Makes `claim.leader` the leader of `claim.epoch` if the stored epoch is exactly
    /// `claim.epoch - 1`; records the election. `.claimed` or `.claimRefused(current:)`.
    func claimEpoch(_ claim: ElectionClaim) throws -> StoreResult

    /// What a new trader needs before deciding anything. `.takeover` or `.deposed`.
    func loadTakeover(epoch: Epoch) throws -> StoreResult

    /// Records a request as pending, idempotent by id. `.enqueued`, `.alreadyPending`,
    /// `.alreadyDecided` (with the recorded outcome) or `.deposed`.
    func enqueue(_ request: BuyRequest, epoch: Epoch) throws -> StoreResult

    /// Records a deposit, idempotent by id. `.depositRecorded` or `.deposed`.
    func recordDeposit(_ deposit: Deposit, epoch: Epoch) throws -> StoreResult

    /// One transaction: every decision with its trade, stock, and outbox rows, and the
    /// deliveries confirmed since the last batch. `.committed` or `.deposed` (nothing written).
    ///
    /// A request of the batch that the store holds as decided already (another trader decided
    /// it first: see `Peer.committed`) is not written again: `.committed` answers it with the
    /// recorded decision, and the rest of the batch is written in the same transaction. A
    /// batch that names a request twice, or sells goods not held, is refused whole: it throws
    /// `BatchRefusal` (the SQLite store wraps it in its own error).
    func commitDecisions(_ batch: DecisionBatch) throws -> StoreResult

    /// Forgets outbox rows whose recipients confirmed them. Not fenced: a confirmation is
    /// true whoever reports it. `.markedDelivered`.
    func markDelivered(_ keys: [DeliveryKey]) throws -> StoreResult

    /// A peer's own account, for a peer that restarts after a crash. `.books`.
    func loadBooks(peer: PeerID) throws -> StoreResult

    /// The leader record: the latest epoch granted and to whom. `.leaderRecord`.
    func readLeader() throws -> StoreResult

    /// Extends the trader's lease in the leader record to `term` past the store's own clock
    /// (the one clock every host shares), fenced like every trader write: `.leaseRenewed` or
    /// `.deposed(current:)`, nothing written. A claim of a newer epoch voids the lease.
    func renewLease(epoch: Epoch, for term: Duration) throws -> StoreResult

    /// The leader record with whether its lease is live by the store's clock: `.lease`.
    /// Only the store judges the time, so the core never reads a clock.
    func readLease() throws -> StoreResult
}

extension TradingPostStore {
    /// Carries out a persistence request of the core.
    public func perform(_ request: StoreRequest) throws -> StoreResult {
        switch request {
        case .noteElectionStarted(let peer, let reason, let known): try noteElectionStarted(by: peer, reason: reason, knownEpoch: known)
        case .noteElectionAbandoned(let peer): try noteElectionAbandoned(by: peer)
        case .claimEpoch(let claim): try claimEpoch(claim)
        case .loadTakeover(let epoch): try loadTakeover(epoch: epoch)
        case .enqueue(let buy, let epoch): try enqueue(buy, epoch: epoch)
        case .recordDeposit(let deposit, let epoch): try recordDeposit(deposit, epoch: epoch)
        case .commitDecisions(let batch): try commitDecisions(batch)
        case .markDelivered(let keys): try markDelivered(keys)
        case .loadBooks(let peer): try loadBooks(peer: peer)
        case .readLeader: try readLeader()
        case .renewLease(let epoch, let term): try renewLease(epoch: epoch, for: term)
        case .readLease: try readLease()
        }
    }
}

/// A persistence request: the shell performs it and hands the result back as
/// `Event.persisted`, and only then does the core send what depends on it.
public enum StoreRequest: Hashable, Codable, Sendable {
    case noteElectionStarted(by: PeerID, reason: ElectionReason, knownEpoch: Epoch)
    case noteElectionAbandoned(by: PeerID)
    case claimEpoch(ElectionClaim)
    case loadTakeover(epoch: Epoch)
    case enqueue(BuyRequest, epoch: Epoch)
    case recordDeposit(Deposit, epoch: Epoch)
    case commitDecisions(DecisionBatch)
    case markDelivered([DeliveryKey])
    case loadBooks(peer: PeerID)
    /// A frame says who trades: the store's leader record tells whether to believe it.
    case readLeader
    /// The trader still hears from other peers: its lease runs `for` past the store's clock.
    case renewLease(epoch: Epoch, for: Duration)
    /// The trader is silent: is its lease still live (`Peer.leaseAnswered`)?
    case readLease
}

public enum StoreResult: Hashable, Codable, Sendable {
    case noted
    case claimed(ElectionClaim)
    case claimRefused(current: Epoch)
    case takeover(Takeover)
    case enqueued(BuyRequest)
    /// Already pending; carries the stored request (its original stamp).
    case alreadyPending(BuyRequest)
    case alreadyDecided(Decision)
    case depositRecorded(Deposit, duplicate: Bool)
    /// The batch as it was asked; `alreadyDecided` holds, for each of its requests that was
    /// decided before (and so not written again), the recorded decision.
    case committed(DecisionBatch, alreadyDecided: [Decision] = [])
    case markedDelivered([DeliveryKey])
    case books(PeerBooks)
    /// The latest epoch the store granted, and to whom (nil before the first claim).
    case leaderRecord(epoch: Epoch, leader: PeerID?)
    /// A fenced write from an old epoch: nothing was written.
    case deposed(current: Epoch)
    case leaseRenewed(epoch: Epoch)
    /// The leader record, and whether its trader's lease is live by the store's clock.
    case lease(epoch: Epoch, leader: PeerID?, live: Bool)
}

/// Decisions that commit together, with the deliveries confirmed since the last batch and the
/// views (`ViewChange`) they were decided in that the store has not recorded yet.
public struct DecisionBatch: Hashable, Codable, Sendable {
    public var epoch: Epoch
    public var decisions: [Decision]
    public var delivered: [DeliveryKey]
    /// Written in the same transaction, ahead of the decisions: at most the view taken over
    /// with and the one the decisions were made in.
    public var views: [ViewChange]

    public init(epoch: Epoch, decisions: [Decision], delivered: [DeliveryKey] = [], views: [ViewChange] = []) {
        self.epoch = epoch
        self.decisions = decisions
        self.delivered = delivered
        self.views = views
    }

    private enum CodingKeys: String, CodingKey {
        case epoch, decisions, delivered, views
    }

    // A batch written down before views existed (a saved counterexample) has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(epoch: try container.decode(Epoch.self, forKey: .epoch),
                  decisions: try container.decode([Decision].self, forKey: .decisions),
                  delivered: try container.decode([DeliveryKey].self, forKey: .delivered),
                  views: try container.decodeIfPresent([ViewChange].self, forKey: .views) ?? [])
    }

    /// The decisions that were written, when the store answered `alreadyDecided`.
    public func written(alreadyDecided: [Decision]) -> [Decision] {
        guard !alreadyDecided.isEmpty else { return decisions }
        let answered = Set(alreadyDecided.map(\.request.id))
        return decisions.filter { !answered.contains($0.request.id) }
    }
}

/// Everything a newly elected trader loads before it decides anything.
public struct Takeover: Hashable, Codable, Sendable {
    public var epoch: Epoch
    /// Requests recorded as pending by any earlier trader.
    public var pending: [BuyRequest]
    /// Every deposit, in the order traders accepted them.
    public var deposits: [Deposit]
    /// Quantity sold so far, per seller and product.
    public var sold: [SellerProduct: Int]
    /// Results and payouts committed but not yet confirmed by their recipients.
    public var outbox: [OutboxItem]
    /// The highest `decided_seq` so far (0 when nothing was decided).
    public var lastDecisionSeq: Int
    /// The highest Lamport stamp in the store, so the new trader's clock starts past it.
    public var maxLamport: UInt64

    public init(
        epoch: Epoch, pending: [BuyRequest] = [], deposits: [Deposit] = [], sold: [SellerProduct: Int] = [:],
        outbox: [OutboxItem] = [], lastDecisionSeq: Int = 0, maxLamport: UInt64 = 0
    ) {
        self.epoch = epoch
        self.pending = pending
        self.deposits = deposits
        self.sold = sold
        self.outbox = outbox
        self.lastDecisionSeq = lastDecisionSeq
        self.maxLamport = maxLamport
    }
}

/// One seller's goods of one product: how the trader keeps its books of goods.
public struct SellerProduct: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    public var seller: PeerID
    public var product: Product

    public init(seller: PeerID, product: Product) {
        self.seller = seller
        self.product = product
    }

    public static func < (lhs: SellerProduct, rhs: SellerProduct) -> Bool {
        (lhs.seller, lhs.product) < (rhs.seller, rhs.product)
    }

    /// `P1 salt`
    public var description: String { "P\(seller) \(product.rawValue)" }
}

/// A peer's account as the store has it: what a peer that lost its memory starts again from.
public struct PeerBooks: Hashable, Codable, Sendable {
    public var peer: PeerID
    public var ledger: Ledger
    /// Trades whose payout this peer (as seller) is already credited with.
    public var sellerTradeIDs: Set<Int>
    /// This peer's requests as the store has them, decided or pending.
    public var requests: [BuyRequest]
    /// Every request of this peer's that is still pending, in id order: several, if it had
    /// several in flight.
    public var pendingRequests: [RequestID]
    /// This peer's latest pending request, if any.
    public var pendingRequest: RequestID? { pendingRequests.last }
    /// This peer's deposits.
    public var deposits: [Deposit]
    /// Quantity of this peer's goods sold, per product.
    public var soldByProduct: [Product: Int]

    public init(
        peer: PeerID, ledger: Ledger = Ledger(), sellerTradeIDs: Set<Int> = [], requests: [BuyRequest] = [],
        pendingRequests: [RequestID] = [], deposits: [Deposit] = [], soldByProduct: [Product: Int] = [:]
    ) {
        self.soldByProduct = soldByProduct
        self.peer = peer
        self.ledger = ledger
        self.sellerTradeIDs = sellerTradeIDs
        self.requests = requests
        self.pendingRequests = pendingRequests.sorted()
        self.deposits = deposits
    }
}
