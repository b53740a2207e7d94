import ArgumentParser
import Foundation
import MarketRuntime
import MarketStore

/// The store microbenchmark; `market bench` runs the same `StoreBenchmark`.
struct BenchStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-store",
        abstract: "Measure decisions committed per second: one per transaction and batched, at each durability.",
        shouldDisplay: false
    )

    @Option(help: "Decisions committed in each pass.")
    var decisions: Int = 4096

    @Option(help: "Timed passes per case; the median is reported.")
    var repeats: Int = 3

    @Option(help: "Batch sizes, comma-separated.")
    var batches: String = "1,64,256"

    @Option(help: "Durabilities to measure: normal, full, or both.")
    var durability: String = "both"

    @Option(help: ArgumentHelp("Where the scratch databases go (default: the temporary directory).", valueName: "dir"))
    var dir: String?

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func validate() throws {
        guard decisions >= 1 else { throw ValidationError("--decisions must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard batchSizes != nil else { throw ValidationError("--batches must be positive integers, e.g. 1,64,256") }
        guard durabilities != nil else { throw ValidationError("--durability must be normal, full or both") }
    }

    var batchSizes: [Int]? {
        let sizes = batches.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return sizes.compactMap { $0 }
    }

    var durabilities: [Durability]? {
        durability == "both" ? Durability.allCases : Durability(rawValue: durability).map { [$0] }
    }

    func run() throws {
        let directory = dir ?? FileManager.default.temporaryDirectory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("no directory at \(directory)")
        }
        let benchmark = StoreBenchmark(directory: directory, decisions: decisions, batchSizes: batchSizes ?? [1],
                                       durabilities: durabilities ?? [.normal], repeats: repeats)
        let interactive = isatty(STDERR_FILENO) == 1
        let results = try benchmark.run { benchCase, repetition in
            if interactive {
                DescriptorWriter.standardError.write(
                    "\r\u{1B}[K\(benchCase.durability) batch \(benchCase.batchSize): pass \(repetition + 1)/\(repeats)")
            }
        }
        if interactive { DescriptorWriter.standardError.write("\r\u{1B}[K") }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
            return
        }
        print("store: \(decisions) sale decisions per pass, median of \(repeats) passes, scratch files in \(directory)")
        for line in ColumnText.table(["durability", "batch", "decisions/s", "µs per commit", "passes (decisions/s)"], results.map {
            [$0.benchCase.durability, String($0.benchCase.batchSize), String(Int($0.median.rounded())),
             String(format: "%.1f", $0.microsecondsPerCommit), $0.rates.map { String(Int($0.rounded())) }.joined(separator: " ")]
        }, indent: "") {
            print(line)
        }
    }
}
