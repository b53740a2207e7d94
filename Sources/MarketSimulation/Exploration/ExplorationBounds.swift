import MarketCore

/// How far the explorer goes: the faults it may inject, how often each timer may fire, and
/// how many steps a path may take. Every state reachable within these is visited.
public struct ExplorationBounds: Hashable, Codable, Sendable {
    /// Crashes in one path (each crashed peer may restart).
    public var crashes = 1
    /// Pauses in one path (a paused peer takes no step until it resumes).
    public var pauses = 0
    /// Messages lost in one path.
    public var drops = 0
    /// How often each timeout (election, coordinator, request, deposit) of each peer may fire
    /// in one path.
    public var timerFirings = 1
    /// How often each peer's heartbeat timer may fire in one path, so heartbeats end. Apart
    /// from the timeouts: a heartbeat tick goes out at every step of the others, and each
    /// one multiplies the interleavings while deciding little.
    public var heartbeats = 0
    /// The longest path; nil: no bound but the others.
    public var depth: Int?
    public var timing: Timing = .quiet

    /// When a set timer may fire; a crashed peer's restart and a paused one's resume are
    /// timed the same way (they come after a delay: the scenario's recovery, a pause's length).
    public enum Timing: String, Hashable, Codable, Sendable, CaseIterable {
        /// Only when nothing is in flight to a peer that is not paused (no message, no store
        /// request or answer): messages and store calls take less than any timeout, as they
        /// do by orders of magnitude on one machine. A slow peer is a paused one.
        case quiet
        /// At any step: messages may take longer than any timeout. Far more states.
        case any
    }

    public init(crashes: Int = 1, pauses: Int = 0, drops: Int = 0, timerFirings: Int = 1, heartbeats: Int = 0,
                depth: Int? = nil, timing: Timing = .quiet) {
        self.timing = timing
        self.crashes = crashes
        self.heartbeats = heartbeats
        self.pauses = pauses
        self.drops = drops
        self.timerFirings = timerFirings
        self.depth = depth
    }

    func firings(of timer: PeerTimer) -> Int {
        timer == .heartbeat ? heartbeats : timerFirings
    }
}

/// What the explorer runs: a scenario, and the bugs planted for the explorer's own tests.
public struct ExplorationSetup: Hashable, Codable, Sendable {
    public var scenario: Scenario
    /// A store that does not fence (`InMemoryStore.fencing`): a planted bug.
    public var fencing = true
    /// An order book that does not wait for stability: a planted bug.
    public var stabilityRule: OrderBook.StabilityRule = .lamport

    public init(scenario: Scenario, fencing: Bool = true, stabilityRule: OrderBook.StabilityRule = .lamport) {
        self.scenario = scenario
        self.fencing = fencing
        self.stabilityRule = stabilityRule
    }

    /// `peers` peers: the lowest `buyers` buy salt, `requests` each; the others sell salt.
    /// P0 starts the first election, so Bully's whole cascade is explored.
    public static func market(peers: Int, buyers: Int, requests: Int) -> Scenario {
        let specs = (0..<peers).map { id in
            PeerSpec(id: id, role: id < buyers ? .buyer : .seller, product: .salt)
        }
        return Scenario(name: "the bounds' market", peers: specs, requestsPerBuyer: requests, seed: 1, firstElection: 0)
    }

    /// The configuration each peer runs with: faults come from the explorer, never from the
    /// core's own sick rate.
    func config(for id: PeerID) -> PeerConfig {
        var config = scenario.config(for: id)
        config.sickRate = 0
        config.stabilityRule = stabilityRule
        return config
    }
}
