import ArgumentParser
import Foundation
import MarketBench
import MarketCore
import MarketRuntime
import MarketStore

struct BenchCommand: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the product's speed next to this machine's floors, in one run (medians).",
        discussion: """
            Real `market run`s (processes, sockets, SQLite) in temporary databases, each figure read \
            back from the run's history: sequential buys, throughput at 16 to 128 peers (first request \
            received to last decided; at 16 and 64 peers also with 16 requests in flight a buyer), messages, \
            envelopes and frames per buy, failover, the lab's table, runs under a nemesis (the rate while links are cut, \
            the settle time after a heal, elections per action) and, in the full plan only, \
            normal and many_buyers at 128 and 256 peers; the full plan takes many minutes, --quick a minute or two. \
            The same runs on PostgreSQL beside SQLite at matching durability, with the server's own \
            floors: on a private server the bench starts where PostgreSQL is installed, or on \
            --postgres URL. Progress goes to standard error. Build with -c release for figures worth quoting.
            """
    )

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Flag(help: "A shorter plan (a minute or two): fewer and smaller runs, no store or simulator figures, no runs of 256 peers.")
    var quick = false

    @Option(help: "Repetitions per floor and store figure, and seeds per nemesis row; the median is reported.")
    var repetitions: Int = 5

    @Option(help: ArgumentHelp(
        "Measure PostgreSQL on this server (postgresql://…) instead of a private one; the runs' histories stay in its database.",
        valueName: "url"))
    var postgres: String?

    @Flag(help: "Skip the PostgreSQL figures.")
    var noPostgres = false

    /// The smallest plan that still gives every figure, for the tests (no figure worth quoting).
    @Flag(help: .hidden)
    var smoke = false

    @Option(help: ArgumentHelp(
        "Also measure with the peers on these hosts, started over ssh as by `market run --hosts` (MARKET_SSH applies; `local` is this host; needs --db).",
        valueName: "dest,…"))
    var hosts: String?

    @Option(help: ArgumentHelp("The PostgreSQL server the hosts plan's runs share (postgresql://…, reached from every host).",
                               valueName: "url"))
    var db: String?

    @Option(help: ArgumentHelp("The path of market on the hosts (default: this market's own path).", valueName: "path"))
    var remoteMarket: String?

    @Option(help: ArgumentHelp(
        "A shell command that cuts a host off the network, {host} standing for it (e.g. 'tools/hosts.sh cut {host}'): "
            + "measures failover when the trader's host is cut off. Needs --heal-host-command.", valueName: "command"))
    var cutHostCommand: String?

    @Option(help: ArgumentHelp("The shell command that heals a host --cut-host-command cut off ({host} stands for it).",
                               valueName: "command"))
    var healHostCommand: String?

    /// The hosts plan alone, for the tests.
    @Flag(help: .hidden)
    var onlyHosts = false

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
        if noPostgres && postgres != nil { throw ValidationError("--no-postgres and --postgres cannot be given together") }
        try validateHosts()
    }

    func run() throws {
        let started = ContinuousClock.now
        func say(_ line: String) {
            let elapsed = (ContinuousClock.now - started).seconds
            DescriptorWriter.standardError.write(String(format: "[%5.1f s] %@\n", elapsed, line))
        }
        let quick = self.quick || smoke
        let repetitions = smoke ? 1 : quick ? min(self.repetitions, 3) : self.repetitions
        if onlyHosts {
            try printHostsOnly(plan: smoke ? .smoke : quick ? .quick : .full, repetitions: repetitions, say)
            return
        }
        try checkHosts(say)
        let (target, skipped) = try postgresTarget(say)
        defer { target?.remove() }
        say("measuring the floors")
        let rtt = try Floors.unixSocketRoundTrip(iterations: smoke ? 200 : quick ? 5_000 : 20_000, repetitions: repetitions)
        let tcp = try Floors.sealedTCPRoundTrip(iterations: smoke ? 200 : quick ? 5_000 : 20_000, repetitions: repetitions)
        let commit = try Floors.sqliteCommit(synchronous: "NORMAL", commits: smoke ? 50 : quick ? 500 : 2_000, repetitions: repetitions)
        var figures = [rtt, commit, tcp]
        var postgresFloors: PostgresFloors?
        if let target {
            say("measuring PostgreSQL's floors")
            postgresFloors = try PostgresBench.floors(on: target, roundTrips: smoke ? 200 : quick ? 2_000 : 5_000,
                                                      commits: smoke ? 30 : quick ? 300 : 1_000, repetitions: repetitions)
        }
        if !quick {
            say("measuring the store and the simulator")
            figures += try storeAndSimulator(repetitions: repetitions)
        }

        var explored: [ExplorerBench.Row] = []
        for bounds in ExplorerBench.plan(smoke: smoke, quick: quick) {
            say("market explore: \(bounds.label)")
            explored.append(try ExplorerBench.row(market: URL(fileURLWithPath: CurrentExecutable.path), bounds: bounds))
        }

        let runner = try MarketRunner(market: URL(fileURLWithPath: CurrentExecutable.path))
        defer { runner.removeScratch() }
        let plan: SystemBench.Plan = smoke ? .smoke : quick ? .quick : .full
        var bench = SystemBench(runner: runner, plan: plan, progress: say)
        say("sequential buys")
        let sequential = try bench.sequential()
        var scale: [SystemBench.ScalePoint] = []
        for peers in smoke ? [16] : SystemBench.scalePeers {
            say("throughput at \(peers) peers")
            scale.append(try bench.scale(peers: peers))
            if SystemBench.pipelinedPeers.contains(peers) {
                let depth = SystemBench.pipelinedInFlight
                say("throughput at \(peers) peers, \(depth) requests in flight a buyer")
                scale.append(try bench.scale(peers: peers, inFlight: depth))
            }
        }
        var postgres: PostgresFigures?
        var otherFailures: [String] = []
        var otherRSS = 0
        if let target, let postgresFloors {
            func half(_ label: String, _ runner: MarketRunner) throws -> EngineFigures {
                say("like against like: \(label)")
                var other = SystemBench(runner: runner, plan: plan, progress: say)
                defer {
                    otherFailures += other.failures
                    otherRSS = max(otherRSS, other.largestPeerRSS)
                }
                return try other.engineFigures(label)
            }
            let onServer: @Sendable () throws -> String = { try target.freshDatabase("run") }
            // Each ratio against a commit floor measured just before the runs it judges.
            func commitFloor(_ durability: Durability) throws -> Double {
                say("PostgreSQL's one-row commit again, just before its runs")
                return try PostgresBench.commitFloor(on: target, durability: durability, commits: smoke ? 30 : quick ? 300 : 1_000,
                                                     repetitions: repetitions).microseconds
            }
            // SQLite measured again beside PostgreSQL, not minutes before: the machine's load moves.
            let sqliteNormal = try half("SQLite NORMAL", runner.with(databases: nil, durability: .normal))
            let offFloor = try commitFloor(.normal)
            let normal = LikeForLike(
                durability: .normal, sqlite: sqliteNormal,
                postgres: try half("PostgreSQL synchronous_commit=off", runner.with(databases: onServer, durability: .normal)),
                udsRoundTrip: rtt.microseconds, postgresCommit: offFloor)
            let sqliteFull = try half("SQLite FULL", runner.with(databases: nil, durability: .full))
            let onFloor = try commitFloor(.full)
            let full = LikeForLike(
                durability: .full, sqlite: sqliteFull,
                postgres: try half("PostgreSQL synchronous_commit=on", runner.with(databases: onServer, durability: .full)),
                udsRoundTrip: rtt.microseconds, postgresCommit: onFloor)
            postgres = PostgresFigures(server: target.place, floors: postgresFloors, pairs: [normal, full])
        }
        say("failover: the trader killed")
        let crash = try bench.failover(.crash)
        say("failover: the trader silent")
        let silent = try bench.failover(.silent)
        var lab: [SystemBench.LabRow] = []
        for rate in smoke ? [SystemBench.labRates[0]] : SystemBench.labRates {
            say("the lab's experiment at \(rate * 100) % re-election")
            lab.append(try bench.lab(sickRate: rate))
        }
        let nemesisPlan = NemesisBench.plan(smoke: smoke, quick: quick, repetitions: repetitions)
        var nemesis: [NemesisBench.Row] = []
        for kind in nemesisPlan.kinds {
            say("\(nemesisPlan.peers) peers under the nemesis: \(kind.rawValue)")
            nemesis.append(try bench.nemesis(kind, plan: nemesisPlan))
        }
        var large: [NemesisBench.LargeRow] = []
        for (scenario, peers) in quick ? [] : NemesisBench.largePlan {
            say("\(scenario) at \(peers) peers")
            large.append(try bench.large(scenario, peers: peers))
        }
        var report = BenchReport(
            quick: quick, floorUDSRoundTrip: rtt.microseconds, floorCommit: commit.microseconds, sequential: sequential,
            scale: scale, failover: crash, failoverSilent: silent, peerRSS: max(bench.largestPeerRSS, otherRSS), labTable: lab,
            labRequestsPerBuyer: plan.labRequests, figures: figures, failedRuns: bench.failures + otherFailures,
            postgres: postgres, postgresSkipped: skipped)
        report.explorer = explored
        report.nemesis = nemesis
        report.large = large
        if let hosts = try hostsPlan(runner: runner, plan: plan, repetitions: repetitions, say) {
            report.hosts = hosts
            report.failedRuns += hosts.failedRuns
        }
        say("done")

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(BenchTable(report: report).text)
        }
    }

    /// Where the PostgreSQL plan runs, or why it does not (said at once, and again with the figures).
    private func postgresTarget(_ say: (String) -> Void) throws -> (PostgresTarget?, skipped: String?) {
        if noPostgres {
            say("PostgreSQL figures skipped: --no-postgres")
            return (nil, "--no-postgres")
        }
        if let postgres {
            let target = try PostgresTarget.named(postgres)
            say("PostgreSQL on \(target.place)")
            return (target, nil)
        }
        say("starting a private PostgreSQL server")
        switch try PostgresTarget.startPrivate() {
        case .started(let target):
            say("PostgreSQL on \(target.place)")
            return (target, nil)
        case .unavailable(let reason):
            say("PostgreSQL figures skipped: \(reason)")
            return (nil, reason)
        }
    }

    private func storeAndSimulator(repetitions: Int) throws -> [BenchFigure] {
        var figures = [try Floors.sqliteCommit(synchronous: "FULL", commits: 300, repetitions: repetitions)]
        let scratch = FileManager.default.temporaryDirectory.path
        let cases = try StoreBenchmark(directory: scratch, batchSizes: [1, 64, 256], durabilities: [.normal],
                                       repeats: repetitions).run()
            + StoreBenchmark(directory: scratch, decisions: 1024, batchSizes: [1, 64], durabilities: [.full],
                             repeats: repetitions).run()
        figures += cases.map(BenchFigure.init(storeCase:))
        figures.append(try SimulatorBench.eventsPerSecond(repetitions: min(repetitions, 3)))
        return figures
    }
}

extension BenchFigure {
    init(storeCase result: StoreBenchmark.Measurement) {
        let batch = result.benchCase.batchSize
        self.init(
            name: "store decision (\(result.benchCase.durability), \(batch == 1 ? "1 per transaction" : "batches of \(batch)"))",
            secondsPerOperation: 1 / result.median, repetitions: result.rates.map { 1 / $0 },
            note: String(format: "%.0f µs per commit", result.microsecondsPerCommit))
    }
}
