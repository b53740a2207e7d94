import ArgumentParser
import Foundation
import MarketBench

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
        try measure("the simulator") { try SimulatorBench.eventsPerSecond(repetitions: min(repetitions, 3)) }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        print("| measure | median | per second | note |")
        print("|---|---:|---:|---|")
        for figure in figures {
            print("| \(figure.name) | \(String(format: "%.1f µs", figure.microseconds)) | \(String(format: "%.0f", figure.perSecond)) | \(figure.note) |")
        }
    }
}
