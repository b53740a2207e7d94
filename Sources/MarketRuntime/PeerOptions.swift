import MarketCore
import MarketStore

/// How the supervisor starts one peer process (`market peer …`).
public struct PeerOptions: Sendable {
    public var directory: String
    public var id: PeerID
    public var runID: Int64
    public var databasePath: String
    public var durability: Durability
    /// Started again after a crash: the core gets `Event.restart` and reads its books back.
    public var restart: Bool
    /// How many times this peer was started before (0 for the first start).
    public var incarnation: Int = 0
    public var verbose: Bool
    public var trace: Bool
    /// Listen on a TCP port of this host (the system's choice of port) rather than a Unix
    /// socket; neighbours' addresses then come from the supervisor (`addresses`).
    public var tcpHost: String?
    /// Started on another host over SSH: the secret and scenario come first on stdin, the
    /// directory is made on that host, and the peer listens on the session's address
    /// (`RemotePeerStart`); it reports its PID so that the supervisor can signal it there.
    public var overSSH = false
    /// Over SSH: keep this host's directory (the log) after a run that ended well (`--keep-logs`).
    public var keepLog = false
    /// Latency and loss on this peer's outbound links (`LinkShaper`).
    public var links = LinkConditions()

    public init(directory: String, id: PeerID, runID: Int64, databasePath: String, durability: Durability,
                restart: Bool, verbose: Bool, trace: Bool) {
        self.directory = directory
        self.id = id
        self.runID = runID
        self.databasePath = databasePath
        self.durability = durability
        self.restart = restart
        self.verbose = verbose
        self.trace = trace
    }

    /// The arguments after the executable's path.
    var arguments: [String] {
        var args = ["peer"] + (overSSH ? ["--over-ssh"] : ["--dir", directory])
        args += ["--id", String(id), "--run-id", String(runID), "--db", databasePath, "--durability", durability.rawValue]
        if restart { args.append("--restart") }
        if incarnation > 0 { args += ["--incarnation", String(incarnation)] }
        if verbose { args.append("--verbose") }
        if trace { args.append("--trace") }
        if let tcpHost, !overSSH { args += ["--tcp-host", tcpHost] }
        if overSSH, keepLog { args.append("--keep-log") }
        if links.latency > .zero {
            args += ["--latency", "\(Double(links.latency.nanoseconds) / 1000)us:\(links.distribution.rawValue)"]
        }
        if links.loss > 0 { args += ["--loss", String(links.loss)] }
        return args
    }
}
