import MarketCore

/// How hard the simulator pushes a scenario. Defaults keep one seed short and faulty.
public struct SimulationOptions: Hashable, Sendable {
    /// Requests per buyer (the built-ins' 1000 would make each seed long and prove nothing more).
    public var requestsPerBuyer = 20
    /// The trader's chance of falling sick after queueing a request.
    public var sickRate = 0.05
    /// Sick modes drawn per seed from these.
    public var sickModes: [SickMode] = SickMode.allCases
    /// Pause (SIGSTOP-like) the trader at a commit now and then, so it wakes as a zombie.
    public var pauses = true
    /// When a trader falls sick, now and then stall the link between two buyers for a while,
    /// as a peer that reads one socket late does: a first copy of a multicast buy then
    /// reaches a buyer after it became the trader, when another trader may have decided it.
    public var stalls = true
    /// Now and then a frame claims an epoch the store never granted (a COORDINATOR, or a
    /// heartbeat naming a trader), as a stale or buggy peer process might send: peers must
    /// ask the store's leader record before they believe it.
    public var forgeries = true
    /// Links cut and healed from the seed (`NemesisSchedule`); nil: no nemesis.
    public var nemesis: NemesisPlan?
    /// Latency and loss on every link, added to the delay above.
    public var links = LinkConditions()
    /// Requests each buyer keeps in flight (nil: the scenario's, one unless it says more).
    public var inFlight: Int?
    /// Peers for `normal`.
    public var peers: Int?
    /// One-way message delay bounds; links stay FIFO.
    public var minDelay: Duration = .microseconds(50)
    public var maxDelay: Duration = .milliseconds(2)
    /// A settled run goes on until this virtual time, so an idle market's traffic can be measured.
    public var holdUntil: Duration = .zero
    /// A run that has not settled by then fails for liveness.
    public var timeLimit: Duration = .seconds(600)
    /// Test seams that plant bugs, so the simulator's own tests can show it catches them.
    public var stabilityRule: OrderBook.StabilityRule = .lamport
    public var electionRule: ElectionRule = .bully
    public var fencing = true

    public init() {}
}
