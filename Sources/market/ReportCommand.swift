import ArgumentParser
import Foundation
import MarketReport
import MarketRuntime
import MarketStore

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a run as one self-contained HTML page: timeline, latency, rate, space-time diagram, books.",
        discussion: """
            Opens the database read-only (it works while a run is live, on what is committed) and writes one \
            HTML file with inline SVG and CSS that opens offline in any browser.
            """
    )

    @OptionGroup var database: StoreDatabaseOptions

    @Option(name: .long, help: ArgumentHelp("The HTML file to write (default: report-<run>.html).", valueName: "file"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp(
        "Which traced messages the space-time diagram shows: election (the first re-election), election:EPOCH, or FROM-TO in seconds.",
        valueName: "window"))
    var window = "election"

    func validate() throws {
        if let out, out.isEmpty { throw ValidationError("--out must name a file") }
        do {
            _ = try ReportWindow(parsing: window)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        if let out {
            do { try Self.refuseDatabase(out, database: database.path) } catch { throw ValidationError(error.description) }
        }
        let (db, runID) = try database.open()
        let path = out ?? "report-\(runID).html"
        let started = ContinuousClock.now
        let bytes = try Self.write(db, runID: runID, window: try ReportWindow(parsing: window), to: path)
        let elapsed = ContinuousClock.now - started
        print("wrote \(path): run \(runID), \(bytes) bytes in \(elapsed.formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow)))")
    }

    /// Writes the report, turning a failure into one line.
    static func write(_ db: MarketDatabase, runID: Int64, window: ReportWindow, to path: String) throws -> Int {
        do {
            return try ReportWriter.write(database: db, runID: runID, window: window, to: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw ReportFileError(path: path, reason: error.localizedDescription)
        }
    }
}

/// The page could not be written: one line, no usage text (the arguments were fine).
struct ReportFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot write \(path): \(reason)" }
}

extension ReportCommand {
    /// The page is written by replacing the file it names: naming the database (or its WAL or
    /// shared-memory file) would replace the history with HTML, under live connections.
    static func refuseDatabase(_ out: String, database: String) throws(ReportFileError) {
        func resolved(_ path: String) -> String {
            URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        let target = resolved(out)
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = database + suffix
            var left = stat(), right = stat()
            let sameFile = stat(out, &left) == 0 && stat(file, &right) == 0
                && left.st_dev == right.st_dev && left.st_ino == right.st_ino
            if sameFile || target == resolved(file) {
                throw ReportFileError(path: out, reason: "it is the database's own file \(file); name another file for the report")
            }
        }
    }

    /// The newest run in the database at `path`, if it holds one.
    static func latestRun(in path: String) -> Int64? {
        try? MarketDatabase.openReadOnly(path: path).latestRunID()
    }

    /// `market run --report FILE`: the report of the run that just ended (the newest run, if it
    /// is newer than `previous`), from the database. A report that cannot be written is said
    /// on standard error; the run's exit code stands.
    static func writeAfterRun(database path: String, after previous: Int64?, to file: String, json: Bool) {
        do {
            let db = try MarketDatabase.openReadOnly(path: path)
            guard let runID = try db.latestRunID(), runID > previous ?? 0 else {
                DescriptorWriter.standardError.write("market run: no report written: the run was not recorded\n")
                return
            }
            let bytes = try write(db, runID: runID, window: .firstElection, to: file)
            let line = "report: \(file) (\(bytes) bytes)\n"
            (json ? DescriptorWriter.standardError : DescriptorWriter.standardOutput).write(line)
        } catch {
            DescriptorWriter.standardError.write("market run: no report written: \(error.localizedDescription)\n")
        }
    }
}
