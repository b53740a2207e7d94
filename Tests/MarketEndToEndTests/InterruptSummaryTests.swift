import Foundation
import XCTest

/// Ctrl-C ends a run with the summary of what was recorded and the check's verdict on it.
extension EndToEndTests {
    func test_ctrlC_printsTheSummaryOfWhatWasRecorded_andItsVerdict() throws {
        let path = try temporaryDatabasePath()
        let running = try ChildRun.Running(try Self.marketBinary(), [
            "run", "--scenario", "lab", "--requests", "100000", "--sick-rate", "0", "--seed", "6", "--db", path,
        ])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        _ = try waitFor(path, "ten decisions") { db -> Int? in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM requests WHERE status != 'pending'").flatMap { $0 >= 10 ? $0 : nil }
        }
        kill(running.process.processIdentifier, SIGINT)
        let run = running.finish(deadline: 60)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertEqual(run.status, 128 + SIGINT, run.errors)
        XCTAssertTrue(run.output.contains("interrupted in "), run.output)
        XCTAssertNotNil(run.output.firstMatch(of: #/requests: \d+/\d+ decided \(\d+ bought, \d+ failed/#), run.output)
        XCTAssertTrue(run.output.contains("verdict: INTERRUPTED; what was recorded holds every invariant (check passed"), run.output)
    }
}
