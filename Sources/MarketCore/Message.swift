/// Every message of the protocol. The sender's Lamport stamp travels in the `Envelope`.
public enum Message: Hashable, Codable, Sendable {
    // Bully election
    /// To every higher peer: "I am holding an election".
    case election
    /// A higher peer's answer: "I am alive and take it from here".
    case ok
    /// The winner, after it claimed `epoch` in the store.
    case coordinator(epoch: Epoch)
    /// The trader steps down of its own accord; the others elect at once.
    case resign(epoch: Epoch)
    /// Liveness, and what the sender believes about the trader: from the trader to every peer,
    /// and from every peer to the trader, each only when it sent the other nothing lately.
    case heartbeat(epoch: Epoch, leader: PeerID?)

    // Buying
    /// A buyer's stamped request, multicast to the trader and to every peer that may still buy.
    /// `firstAttempt`: never sent before, so no store holds it yet (a trader may decide it
    /// without recording it first).
    case buy(BuyRequest, firstAttempt: Bool = false)
    /// A peer that may still buy tells the trader it saw requests (the last one named); its
    /// stamp is what makes the head stable. One per turn covers every request of the turn.
    case ack(RequestID)
    /// A buyer will send no more requests: the trader stops waiting for it, and other buyers
    /// stop sending it theirs.
    case doneBuying
    /// The trader has the request durably in its queue.
    case queued(RequestID)
    /// The request is stamped before decisions this trader already made while it could not
    /// hear the buyer (paused, sick); the buyer sends it again with a fresh stamp.
    case restamp(RequestID)
    /// The recorded outcome of a request (also the answer to a retry of a decided one).
    case buyResult(RequestID, BuyOutcome)

    // Selling
    case deposit(Deposit)
    case depositAccepted(depositID: Int)
    /// Money for goods sold: the seller's share of the trade that decided the request.
    case payout(RequestID, Trade)

    /// A buyer or seller confirms results or payouts, so the outbox can forget them. A buyer's
    /// next request confirms its earlier results without this.
    case delivered([RequestID])
}

/// A message on the wire: who sent it to whom, stamped with the sender's clock.
public struct Envelope: Hashable, Codable, Sendable {
    public var from: PeerID
    public var to: PeerID
    public var clock: UInt64
    public var message: Message

    public init(from: PeerID, to: PeerID, clock: UInt64, message: Message) {
        self.from = from
        self.to = to
        self.clock = clock
        self.message = message
    }
}

extension Message {
    /// A short name for traces and the `messages` table.
    public var kind: String {
        switch self {
        case .election: "election"
        case .ok: "ok"
        case .coordinator: "coordinator"
        case .resign: "resign"
        case .heartbeat: "heartbeat"
        case .buy: "buy"
        case .ack: "ack"
        case .doneBuying: "done_buying"
        case .queued: "queued"
        case .restamp: "restamp"
        case .buyResult: "buy_result"
        case .deposit: "deposit"
        case .depositAccepted: "deposit_accepted"
        case .payout: "payout"
        case .delivered: "delivered"
        }
    }
}
