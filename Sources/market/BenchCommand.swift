import ArgumentParser
import Foundation
import MarketBench
import MarketRuntime
import MarketStore

struct BenchCommand: ParsableCommand {

    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the product's speed next to this machine's floors, in one run (medians).",
        discussion: "Build with -c release for figures worth quoting."
    )

    @Flag(help: "Print the figures as one JSON object.")
    var json = false

    @Option(help: "Repetitions per figure; the median is reported.")
    var repetitions: Int = 5

    func validate() throws {
        guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    }

    func run() throws {
        var figures: [BenchFigure] = []
        func measure(_ label: String, _ body: () throws -> BenchFigure) throws {
            if !json { FileHandle.standardError.write(Data("measuring \(label)…\n".utf8)) }
            figures.append(try body())
        }
        try measure("the socket floor") { try Floors.unixSocketRoundTrip(repetitions: repetitions) }
        try measure("the commit floor (NORMAL)") { try Floors.sqliteCommit(synchronous: "NORMAL", repetitions: repetitions) }
        try measure("the commit floor (FULL)") { try Floors.sqliteCommit(synchronous: "FULL", commits: 300, repetitions: repetitions) }
        try measure("the store") {
            let scratch = FileManager.default.temporaryDirectory.path
            let cases = try StoreBenchmark(directory: scratch, batchSizes: [1, 64, 256], durabilities: [.normal],
                                           repeats: repetitions).run()
                + StoreBenchmark(directory: scratch, decisions: 1024, batchSizes: [1, 64], durabilities: [.full],
                                 repeats: repetitions).run()
            for result in cases.dropLast() {
                figures.append(BenchFigure(storeCase: result))
            }
            return BenchFigure(storeCase: cases.last!)
        }
        try measure("end-to-end runs") { try EndToEndBench.sequentialBuy(market: URL(fileURLWithPath: CurrentExecutable.path), repetitions: min(repetitions, 3)) }
        try measure("the simulator") { try SimulatorBench.eventsPerSecond(repetitions: min(repetitions, 3)) }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        if let rtt = figures.first(where: { $0.name.hasPrefix("Unix socket") }),
           let commit = figures.first(where: { $0.name.contains("synchronous=NORMAL") }),
           let buy = figures.first(where: { $0.name.hasPrefix("sequential buy") }) {
            let floor = 2 * rtt.secondsPerOperation + commit.secondsPerOperation
            figures.append(BenchFigure(
                name: "floor of a sequential buy (2 round trips + 1 commit)", secondsPerOperation: floor, repetitions: [],
                note: String(format: "the end-to-end buy costs %.1f× this floor", buy.secondsPerOperation / floor)))
        }
        print("| measure | median | per second | note |")
        print("|---|---:|---:|---|")
        for figure in figures {
            print("| \(figure.name) | \(String(format: "%.1f µs", figure.microseconds)) | \(String(format: "%.0f", figure.perSecond)) | \(figure.note) |")
        }
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
