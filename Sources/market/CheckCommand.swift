import ArgumentParser
import MarketStore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-verify every invariant of a recorded run from its history; exit 1 on any violation.",
        discussion: """
        Checks: no request with two trades; bought ⇔ exactly one trade; goods conserved against \
        deposits; epochs 1..n, one winner each, trades by their epoch's winner and never back to an \
        older epoch; the Bully winner is the highest peer not down; decisions in (lamport_ts, \
        buyer_id) order within an epoch; ledgers equal the books; the clock condition on traced messages.
        """
    )

    @OptionGroup var database: StoreDatabaseOptions

    func run() throws {
        let (db, runID) = try database.open()
        let report = try HistoryChecker(database: db).check(runID: runID)
        print("run \(runID) in \(db.path)")
        for line in report.lines(limit: 50) {
            print(line)
        }
        if try db.abandonedRuns().contains(runID) { print(StoreDatabaseOptions.abandonedNote(runID)) }
        print(report.verdict)
        if !report.passed { throw ExitCode(ExitStatus.failed) }
    }
}
