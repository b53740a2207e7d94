import MarketCore

/// What the machine needs to know of the run, fixed at its start.
public struct SupervisionConfig: Hashable, Sendable {
    /// Peers with a process (not down at start).
    public var livePeers: [PeerID]
    public var downAtStart: [PeerID]
    public var firstElection: PeerID
    public var recoverAfter: Duration
    /// Requests the buyers will make, for the progress message.
    public var totalRequests: Int
    public var timeLimit: Duration
    /// How long stopping waits for the ledgers: as long as a peer waits out another
    /// connection's lock to write its own, and a little more.
    public var ledgerWait: Duration
    /// How long the peers have to start listening.
    public var startLimit: Duration = .seconds(20)
    /// A process that exits on its own this soon after it started, `maxQuickExits` times in
    /// a row, is failing for a reason a restart does not fix.
    public var quickExit: Duration = .seconds(2)
    public var maxQuickExits = 5
    /// How often an unreachable peer's host is asked again.
    public var probeEvery: Duration = .seconds(1)
    /// After this long stopping, the stopping peers are named.
    public var stoppingPatience: Duration = .seconds(2)
    /// How long an abandoned run's peers have to leave before they are killed.
    public var leaveGrace: Duration = .seconds(2)
    public var abandonGrace: Duration = .seconds(5)

    public init(livePeers: [PeerID], downAtStart: [PeerID], firstElection: PeerID, recoverAfter: Duration,
                totalRequests: Int, timeLimit: Duration, ledgerWait: Duration) {
        self.livePeers = livePeers
        self.downAtStart = downAtStart
        self.firstElection = firstElection
        self.recoverAfter = recoverAfter
        self.totalRequests = totalRequests
        self.timeLimit = timeLimit
        self.ledgerWait = ledgerWait
    }
}
