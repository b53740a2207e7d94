import ArgumentParser
import Foundation
import MarketCore
import MarketRuntime
import MarketScenarioFile
import MarketStore

extension SickMode: ExpressibleByArgument {}
extension Durability: ExpressibleByArgument {}
extension TransportKind: ExpressibleByArgument {}
extension NemesisCutMode: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario with one OS process per peer, over Unix domain sockets (or TCP, also across hosts).",
        discussion: """
            SCENARIO is a built-in name (see `market scenarios`) or a JSON file (docs/scenario-file.md). \
            Flags override the scenario's knobs. The history goes to the database (default ./market.db). \
            Exits 0 only if the run completed and every invariant holds.
            """
    )

    @Option(name: .long, help: "A built-in scenario name or a JSON scenario file.")
    var scenario: String

    @Option(name: .long, parsing: .unconditional, help: "Number of peers (the normal and many_buyers scenarios only).")
    var peers: Int?

    @Option(name: .long, parsing: .unconditional, help: "Buy requests per buyer.")
    var requests: Int?

    @Option(name: .customLong("in-flight"), parsing: .unconditional, help: ArgumentHelp(
        "Requests each buyer keeps in flight (default 1: each waits for its result before the next and multicasts each request; with more, each goes to the trader alone).", valueName: "D"))
    var inFlight: Int?

    @Option(name: .customLong("sick-rate"), parsing: .unconditional, help: "Chance (0...1) that the trader falls sick after queueing a request.")
    var sickRate: Double?

    @Option(name: .customLong("sick-mode"), help: "silent, crash or resign.")
    var sickMode: SickMode?

    @Option(name: .customLong("recover-after"), parsing: .unconditional, help: "Seconds before a sick or crashed peer comes back.")
    var recoverAfter: Double?

    @Option(name: .long, parsing: .unconditional, help: "The seed of every random choice (random when not given).")
    var seed: UInt64?

    @Option(name: .long, help: ArgumentHelp("The market database: an SQLite file, or a postgresql:// URL.", valueName: "path-or-url"))
    var db: String = "market.db"

    @Option(name: .long, help: "normal or full: every commit on disk (SQLite synchronous=FULL, PostgreSQL synchronous_commit=on); normal is NORMAL / off.")
    var durability: Durability = .normal

    @Option(name: .customLong("time-limit"), parsing: .unconditional, help: "Seconds before the run is marked failed (default: scaled with requests).")
    var timeLimit: Double?

    @Flag(name: .long, help: "Record every message in the messages table.")
    var trace = false

    @Flag(name: .long, help: """
        Print the summary as one JSON object (its decided_per_second, as the summary's throughput, runs from the first \
        request received to the last decided).
        """)
    var json = false

    @Flag(name: .long, help: "Stream every peer's log lines.")
    var verbose = false

    @Flag(name: .customLong("keep-logs"), help: "Keep the peers' log files (in the run's directory under /tmp).")
    var keepLogs = false

    @Flag(name: .long, help: """
        After the summary, list every trade of the run as the lab printed it (P0 bought salt from P1 via P6, epoch 3), \
        read from the history once the run has ended (on standard error with --json).
        """)
    var trades = false

    @Option(name: .long, help: ArgumentHelp("Write the run's HTML report (market report) to this file when it ends.", valueName: "file"))
    var report: String?

    @Option(name: .long, help: """
        unix or tcp: how peers reach each other. unix: sockets in the run's private directory. tcp: ports on \
        127.0.0.1, a challenge with fresh nonces each way and every frame sealed (sequence number and HMAC-SHA256).
        """)
    var transport: TransportKind = .unix

    @Option(name: .long, help: ArgumentHelp("""
        Run the peers on these hosts, round-robin unless the scenario file places them: each is started over ssh \
        (BatchMode; MARKET_SSH names another client, as GIT_SSH_COMMAND does), peers talk TCP, and --db must be \
        a postgresql:// URL every host reaches. The word `local` is this host: its peers start here, without ssh, \
        listening on the address this host reaches the first remote host from.
        """, valueName: "dest,dest…"))
    var hosts: String?

    @Option(name: .customLong("remote-market"), help: ArgumentHelp(
        "The path of market on the other hosts (default: this market's own path).", valueName: "path"))
    var remoteMarket: String?
    @OptionGroup var network: NemesisFlags

    @Option(name: .customLong("nemesis-cuts"), help: ArgumentHelp("""
        links or network: where a nemesis cut happens. links: each peer loses its own frames on cut links. network \
        (with --hosts; partition, bridge, and isolate-trader with each peer alone on its host): the sides are drawn \
        over hosts from the seed and each host blackholes the addresses across the cut (ip route over ssh, as root \
        there), removed at the heal and at the end of the run.
        """, valueName: "where"))
    var nemesisCuts: NemesisCutMode = .links

    func validate() throws {
        if let peers, !(1...ScenarioLimits.maxPeers).contains(peers) {
            throw ValidationError("--peers must be 1 to \(ScenarioLimits.maxPeers)")
        }
        if let requests, !(0...ScenarioLimits.maxRequestsPerBuyer).contains(requests) {
            throw ValidationError("--requests must be 0 to \(ScenarioLimits.maxRequestsPerBuyer)")
        }
        if let sickRate, !(0...1).contains(sickRate) { throw ValidationError("--sick-rate must be between 0 and 1") }
        if let recoverAfter, !(0...3600).contains(recoverAfter) {
            throw ValidationError("--recover-after must be 0 to 3600 seconds")
        }
        if let timeLimit, !(timeLimit > 0 && timeLimit <= ScenarioLimits.maxTimeLimitSeconds) {
            throw ValidationError("--time-limit must be more than 0 and at most \(Int(ScenarioLimits.maxTimeLimitSeconds)) seconds")
        }
        if db.isEmpty { throw ValidationError("--db must name a file") }
        if let hosts, hosts.split(separator: ",", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw ValidationError("--hosts must be SSH destinations separated by commas, none empty")
        }
        if let remoteMarket, remoteMarket.isEmpty { throw ValidationError("--remote-market must name a path") }
    }

    /// Peers on several hosts share one store, which an SQLite file cannot be.
    static func refuseLocalStore(_ db: String) throws {
        if case .postgres = try? DatabaseLocation.parse(db) { return }
        throw ValidationError("peers on several hosts need one store they all reach: an SQLite file (\(db)) lives on "
            + "one machine and its WAL cannot be shared, so give --db postgresql://… instead")
    }

    func run() throws {
        let resolved: Scenario
        var fileLimit: Double?
        var placement: HostPlacement?
        var fileNetwork: ScenarioFile.Network?
        do {
            var chosenSeed = seed
            let file = try ScenarioFile.load(argument: scenario)
            chosenSeed = chosenSeed ?? file?.seed
            fileLimit = file?.timeLimitSeconds
            fileNetwork = file?.network
            let finalSeed = chosenSeed ?? UInt64.random(in: 0...UInt64(Int64.max))
            var built = try file?.scenario(seed: finalSeed, peerCount: peers)
                ?? BuiltInScenario.named(scenario).scenario(seed: finalSeed, peers: peers)
            if let peers, file == nil, scenario != BuiltInScenario.normal.rawValue, peers != built.peers.count {
                throw ScenarioError.invalid(
                    "--peers applies to the normal and many_buyers scenarios only (\(scenario) has \(built.peers.count))")
            }
            if let requests { built.requestsPerBuyer = requests }
            if let sickRate { built.sickRate = sickRate }
            if let inFlight { built.inFlight = inFlight }
            if let sickMode { built.sickMode = sickMode }
            if let recoverAfter { built.recoverAfter = .milliseconds(Int((recoverAfter * 1000).rounded())) }
            try built.validate()
            resolved = built
            let hostList = hosts.map { $0.split(separator: ",").map(String.init) } ?? file?.hosts ?? []
            do {
                placement = try HostPlacement.place(peers: built.peers.map(\.id), hosts: hostList,
                                                    chosen: file?.chosenHosts ?? [:])
            } catch {
                throw ValidationError(error.description)
            }
        }
        // Over hosts the transport is TCP whatever --transport says: a Unix socket reaches no other host.
        if placement != nil { try Self.refuseLocalStore(db) }
        let ssh: SSHCommand
        do {
            ssh = try SSHCommand.fromEnvironment()
        } catch {
            throw ValidationError(error.description)
        }
        if let report {
            do {
                try ReportCommand.refuseDatabase(report, database: db)
            } catch {
                throw ValidationError(error.description)
            }
        }
        let limit = (timeLimit ?? fileLimit).map { Duration.milliseconds(Int($0 * 1000)) }
        let options = RunOptions(scenario: resolved, databasePath: db, durability: durability, trace: trace, json: json,
                                 verbose: verbose, timeLimit: limit)
        var runOptions = options
        runOptions.keepLogs = keepLogs
        runOptions.transport = placement == nil ? transport : .tcp
        runOptions.placement = placement
        runOptions.ssh = ssh
        runOptions.remoteMarket = remoteMarket
        // The flags win over the scenario file's `network`.
        runOptions.nemesis = try network.plan(actions: nil) ?? fileNetwork?.plan
        runOptions.nemesisCuts = nemesisCuts
        if nemesisCuts == .network, let why = HostCuts.refusal(runOptions.nemesis, placement: placement) {
            throw ValidationError(why)
        }
        runOptions.links = network.latency != nil || network.loss != 0 ? try network.conditions()
            : fileNetwork?.links ?? LinkConditions()
        let runBefore = report == nil && !trades ? nil : ReportCommand.latestRun(in: db)
        let code = Supervisor.run(runOptions)
        if trades { TradesCommand.printAfterRun(database: db, after: runBefore, json: json) }
        if let report { ReportCommand.writeAfterRun(database: db, after: runBefore, to: report, json: json) }
        if code != 0 { throw ExitCode(code) }
    }
}

/// One peer process, started by `market run`; not for users.
struct PeerProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "One peer of a run (started by `market run`).",
        shouldDisplay: false
    )

    @Option(name: .long) var dir: String?
    @Option(name: .long) var id: Int
    @Option(name: .customLong("run-id")) var runID: Int64
    @Option(name: .long) var db: String
    @Option(name: .long) var durability: Durability = .normal
    @Flag(name: .long) var restart = false
    @Option(name: .long) var incarnation: Int = 0
    @Flag(name: .long) var verbose = false
    @Flag(name: .long) var trace = false
    @Option(name: .customLong("tcp-host")) var tcpHost: String?
    @Flag(name: .customLong("over-ssh")) var overSSH = false
    @Flag(name: .customLong("keep-log")) var keepLog = false

    func validate() throws {
        if (dir == nil) == !overSSH { throw ValidationError("a peer takes either --dir or --over-ssh") }
    }
    @Option(name: .long) var latency: String?
    @Option(name: .long) var loss: Double = 0

    func run() throws {
        var options = PeerOptions(directory: dir ?? "", id: id, runID: runID, databasePath: db, durability: durability,
                                  restart: restart, verbose: verbose, trace: trace)
        options.incarnation = incarnation
        options.tcpHost = tcpHost
        options.overSSH = overSSH
        options.keepLog = keepLog
        if overSSH {
            do {
                try RemotePeerStart.prepare(&options)
            } catch {
                FileHandle.standardError.write(Data("P\(id): cannot start: \(error)\n".utf8))
                throw ExitCode(PeerProcess.cannotStart)
            }
        }
        if let latency { (options.links.latency, options.links.distribution) = try LinkConditions.latency(latency) }
        options.links.loss = try LinkConditions.loss(String(loss))
        let code = PeerProcess.run(options)
        if code != 0 { throw ExitCode(code) }
    }
}
