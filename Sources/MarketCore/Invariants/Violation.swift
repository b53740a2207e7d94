/// A broken invariant of the protocol: which one, and what was seen, in one line.
///
/// The simulator checks these as it goes and `market check` re-checks them on a recorded
/// history; both call the same code in this folder, so a property is written once.
public struct Violation: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Codable, Sendable, CaseIterable {
        /// No request is decided, or sold, twice.
        case decidedOnce = "decided once"
        /// A request's recorded status agrees with its trades (the history only).
        case outcomeMatchesTrades = "outcome matches trades"
        /// Within an epoch, decisions follow `(lamport_ts, buyer_id)`.
        case lamportOrder = "lamport order"
        /// A trader's views are numbered 0, 1, 2, … in each epoch, each one's members those of
        /// the view before less the dropped plus the readmitted, and every decision is of one.
        case views
        /// Decisions never go back to an older epoch.
        case epochsOnlyAdvance = "epochs only advance"
        /// Epochs are claimed 1, 2, 3, …, one winner each; trades are made by their epoch's winner.
        case epochWinner = "epoch winner"
        /// Every trader write happens under the epoch the store holds (the simulator sees each one).
        case fencing
        /// deposited − sold = stock ≥ 0 for every seller's product.
        case goodsConserved = "goods conserved"
        /// Every peer's own ledger equals the books kept from the trades.
        case ledgersEqualBooks = "ledgers"
        /// The election winner is the highest peer up.
        case bully
        /// A message is received at a clock later than the one it was sent at.
        case clockCondition = "clock condition"
        /// Each buyer's recorded requests are numbered 0, 1, 2, … with none missing (the history only).
        case requestsInSequence = "requests in sequence"
        /// A buy fails `no seller` only when no seller can sell: none holds enough, and no live
        /// seller's first deposit is on its way to the trader (the simulator only).
        case noSellerOnlyWhenNone = "no seller only when none"
        /// The run settles (the simulator only).
        case liveness
        /// The store refused or failed a request it should have carried out (the simulator only).
        case store
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// The detail alone: reports group violations under their kind already.
    public var description: String { detail }
}
