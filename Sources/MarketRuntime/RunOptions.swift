import MarketCore
import MarketStore

/// What `market run` was asked to do.
public struct RunOptions: Sendable {
    public var scenario: Scenario
    public var databasePath: String
    public var durability: Durability
    public var trace: Bool
    public var json: Bool
    public var verbose: Bool
    /// Wall-clock limit of the run; nil: generous, scaled with the number of requests.
    public var timeLimit: Duration?
    /// The binary to start as `market peer`; nil: this one.
    public var executable: String?
    /// Keep the run directory's peer logs at the end (they are kept anyway when a run fails).
    public var keepLogs = false
    /// How peers reach each other.
    public var transport: TransportKind = .unix
    /// Peers on other hosts (`--hosts`, or the scenario's): each started over SSH, and the
    /// run over TCP. Nil: every peer on this machine.
    public var placement: HostPlacement?
    /// The client that reaches other hosts (`MARKET_SSH`, else `ssh`).
    public var ssh = SSHCommand(words: ["ssh"])
    /// Where `market` is on the other hosts; nil: the supervisor's own path.
    public var remoteMarket: String?
    /// Links cut and healed from the seed (`--nemesis`); nil: none.
    public var nemesis: NemesisPlan?
    /// Where the nemesis cuts: each peer's links layer, or the hosts' routes (`--nemesis-cuts`).
    public var nemesisCuts = NemesisCutMode.links
    /// Latency and loss on every link (`--latency`, `--loss`).
    public var links = LinkConditions()

    public init(scenario: Scenario, databasePath: String, durability: Durability = .normal, trace: Bool = false,
                json: Bool = false, verbose: Bool = false, timeLimit: Duration? = nil, executable: String? = nil) {
        self.scenario = scenario
        self.databasePath = databasePath
        self.durability = durability
        self.trace = trace
        self.json = json
        self.verbose = verbose
        self.timeLimit = timeLimit
        self.executable = executable
    }

    /// Every request the live buyers will make.
    public var totalRequests: Int { scenario.buyers.count * scenario.requestsPerBuyer }

    /// The path of `market` on the other hosts.
    public var effectiveRemoteMarket: String { remoteMarket ?? executable ?? CurrentExecutable.path }

    var effectiveTimeLimit: Duration {
        timeLimit ?? .seconds(30) + .milliseconds(100) * totalRequests
    }
}
