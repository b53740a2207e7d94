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
            back from the run's history: sequential buys, throughput at 16 to 128 peers, messages \
            per buy, failover, the lab's table; the full plan takes minutes, --quick under one. \
            Progress goes to standard error. Build with -c release for figures worth quoting.
            """
    )

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Flag(help: "A shorter plan (under a minute): fewer and smaller runs, no store or simulator figures.")
    var quick = false

    @Option(help: "Repetitions per floor and store figure; the median is reported.")
    var repetitions: Int = 5

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    }

    func run() throws {
        let started = ContinuousClock.now
        func say(_ line: String) {
            let elapsed = (ContinuousClock.now - started).seconds
            DescriptorWriter.standardError.write(String(format: "[%5.1f s] %@\n", elapsed, line))
        }
        let repetitions = quick ? min(self.repetitions, 3) : self.repetitions
        say("measuring the floors")
        let rtt = try Floors.unixSocketRoundTrip(iterations: quick ? 5_000 : 20_000, repetitions: repetitions)
        let commit = try Floors.sqliteCommit(synchronous: "NORMAL", commits: quick ? 500 : 2_000, repetitions: repetitions)
        var figures = [rtt, commit]
        if !quick {
            say("measuring the store and the simulator")
            figures += try storeAndSimulator(repetitions: repetitions)
        }

        let runner = try MarketRunner(market: URL(fileURLWithPath: CurrentExecutable.path))
        defer { runner.removeScratch() }
        let plan: SystemBench.Plan = quick ? .quick : .full
        var bench = SystemBench(runner: runner, plan: plan, progress: say)
        say("sequential buys")
        let sequential = try bench.sequential()
        var scale: [SystemBench.ScalePoint] = []
        for peers in SystemBench.scalePeers {
            say("throughput at \(peers) peers")
            scale.append(try bench.scale(peers: peers))
        }
        say("failover: the trader killed")
        let crash = try bench.failover(.crash)
        say("failover: the trader silent")
        let silent = try bench.failover(.silent)
        var lab: [SystemBench.LabRow] = []
        for rate in SystemBench.labRates {
            say("the lab's experiment at \(rate * 100) % re-election")
            lab.append(try bench.lab(sickRate: rate))
        }
        let report = BenchReport(
            quick: quick, floorUDSRoundTrip: rtt.microseconds, floorCommit: commit.microseconds, sequential: sequential,
            scale: scale, failover: crash, failoverSilent: silent, peerRSS: bench.largestPeerRSS, labTable: lab,
            labRequestsPerBuyer: plan.labRequests, figures: figures, failedRuns: bench.failures)
        say("done")

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(BenchTable(report: report).text)
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
