/// How a sick trader behaves.
public enum SickMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// Stops answering; the process lives on and recovers later with its memory.
    case silent
    /// The process is killed; it restarts later with nothing but the store.
    case crash
    /// Announces that it steps down, then stays silent until it recovers.
    case resign
}

/// The protocol's timeouts. Timeouts, not sleeps, decide.
public struct Timing: Hashable, Codable, Sendable {
    /// The trader tells every peer it is alive this often, and every peer tells the trader;
    /// any message counts, so a heartbeat goes only where nothing else went.
    public var heartbeat: Duration
    /// A peer not heard from for this long is taken for down.
    public var suspectAfter: Duration
    /// How long an election waits for an OK from a higher peer.
    public var electionTimeout: Duration
    /// How long a peer that got an OK waits for the COORDINATOR.
    public var coordinatorTimeout: Duration
    /// How long a buyer waits for a result before it retries with the same id.
    public var requestTimeout: Duration
    /// How long a seller waits for its deposit to be accepted before it sends it again.
    public var depositTimeout: Duration

    /// The defaults detect a silent trader (300 ms) well before it recovers (the scenarios'
    /// 500 ms), so another peer takes over its queue; on a busy 2-core machine a heartbeat
    /// can come late, which costs an election, never a wrong decision (epochs fence).
    public init(
        heartbeat: Duration = .milliseconds(50), suspectAfter: Duration = .milliseconds(300),
        electionTimeout: Duration = .milliseconds(150), coordinatorTimeout: Duration = .milliseconds(500),
        requestTimeout: Duration = .milliseconds(1000), depositTimeout: Duration = .milliseconds(500)
    ) {
        self.heartbeat = heartbeat
        self.suspectAfter = suspectAfter
        self.electionTimeout = electionTimeout
        self.coordinatorTimeout = coordinatorTimeout
        self.requestTimeout = requestTimeout
        self.depositTimeout = depositTimeout
    }
}

extension Timing {
    /// Each timeout by its scenario-file name (`timing_ms`): the one list of them.
    public static var fields: [(name: String, path: WritableKeyPath<Timing, Duration>)] {
        [("heartbeat", \.heartbeat), ("suspect_after", \.suspectAfter), ("election_timeout", \.electionTimeout),
         ("coordinator_timeout", \.coordinatorTimeout), ("request_timeout", \.requestTimeout),
         ("deposit_timeout", \.depositTimeout)]
    }

    /// A peer's loop that stood still this long was stopped from outside (or starved): five
    /// heartbeat periods, since the heartbeat timer makes a turn at least once a period.
    public var freezeAfter: Duration { heartbeat * 5 }
}

/// Everything one peer needs to know to play its part.
public struct PeerConfig: Hashable, Codable, Sendable {
    public var id: PeerID
    /// Every peer of the run, this one included (also those down from the start).
    public var peers: [PeerID]
    public var role: Role
    /// The peers whose role is buyer (nil: unknown, so any peer may buy). Only they can send a
    /// request, so only they get the multicast and only they are waited for.
    public var buyers: Set<PeerID>?
    public var product: Product
    /// Buy requests this peer makes, one after another (buyers).
    public var requests: Int
    public var quantity: Int
    public var initialStock: Int
    public var restock: Int
    public var priceCents: Int
    /// The trader's share of each sale, in percent.
    public var commissionPercent: Int
    /// Chance that the trader falls sick right after it queued a request.
    public var sickRate: Double
    public var sickMode: SickMode
    public var timing: Timing
    /// This peer's own random stream (restock choices, sickness).
    public var seed: UInt64
    /// Largest number of decisions committed in one transaction.
    public var maxBatch: Int
    public var stabilityRule: OrderBook.StabilityRule
    /// How elections are held: Bully, or a planted bug for the checks' own tests.
    public var electionRule: ElectionRule = .bully
    /// Requests a buyer keeps in flight at once (the run's setting, the same for every peer:
    /// the trader reads it to know what a buyer's next request confirms). One is the protocol
    /// as it always was; more let a round of decisions go without waiting for every buyer's turn.
    public var inFlight = 1

    public init(
        id: PeerID, peers: [PeerID], role: Role, product: Product, requests: Int = 0, quantity: Int = 1,
        initialStock: Int = 100, restock: Int = 100, priceCents: Int = 100, commissionPercent: Int = 10,
        sickRate: Double = 0, sickMode: SickMode = .silent, timing: Timing = Timing(), seed: UInt64 = 0,
        maxBatch: Int = 256, stabilityRule: OrderBook.StabilityRule = .lamport, buyers: Set<PeerID>? = nil
    ) {
        self.id = id
        self.peers = peers
        self.role = role
        self.buyers = buyers
        self.product = product
        self.requests = requests
        self.quantity = quantity
        self.initialStock = initialStock
        self.restock = restock
        self.priceCents = priceCents
        self.commissionPercent = commissionPercent
        self.sickRate = sickRate
        self.sickMode = sickMode
        self.timing = timing
        self.seed = seed
        self.maxBatch = maxBatch
        self.stabilityRule = stabilityRule
    }

    public var commissionCents: Int { priceCents * quantity * commissionPercent / 100 }
}

extension PeerConfig {
    /// The id alone: within a run every peer keeps one configuration, so the id tells them
    /// apart, and hashing the whole of it (every peer, the timing, the seed) for each state the
    /// explorer fingerprints was a twentieth of its time. Equality still compares every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
    }
}
