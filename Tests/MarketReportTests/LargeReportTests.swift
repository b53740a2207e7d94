import Foundation
import MarketReport
import MarketStore
import XCTest

/// The report of a run as large as it must handle: 128 peers and 100 000 requests.
final class LargeReportTests: XCTestCase {
    func testReportOf128PeersAnd100000RequestsStaysSmallAndSaysItSummarizes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("large.db").path
        let runID = try LargeHistoryFixture.write(path: path)
        let database = try MarketDatabase.openReadOnly(path: path)
        let check = try HistoryChecker(database: database).check(runID: runID)
        XCTAssertTrue(check.passed, check.lines().joined(separator: "\n"))

        let started = ContinuousClock.now
        let out = directory.appendingPathComponent("report.html").path
        let bytes = try ReportWriter.write(database: database, runID: runID, to: out)
        let elapsed = ContinuousClock.now - started
        // A figure, not a goal: timed assertions belong in benchmarks.
        print("report of \(LargeHistoryFixture.peers) peers and \(LargeHistoryFixture.requests) requests: \(bytes) bytes, written in \(elapsed)")

        var clock = ContinuousClock.now
        func lap() -> Duration { defer { clock = .now }; return ContinuousClock.now - clock }
        let inspection = try database.inspect(runID: runID)
        let inspected = lap()
        let chronicle = try database.chronicle(runID: runID, window: ReportWindow.firstElection.window)
        let read = lap()
        _ = ReportPage.html(ReportInput(inspection: inspection, chronicle: chronicle, windowLabel: "election", databasePath: path,
                                        readAt: Timestamp.now()))
        print("of which: inspect and check \(inspected), chronicle \(read), page \(lap())")

        // To look at it: MARKET_REPORT_COPY=/some/dir keeps a copy of the page and the database.
        if let keep = ProcessInfo.processInfo.environment["MARKET_REPORT_COPY"] {
            for (file, name) in [(out, "large-report.html"), (path, "large.db")] {
                let target = URL(fileURLWithPath: keep).appendingPathComponent(name)
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: URL(fileURLWithPath: file), to: target)
            }
        }
        let page = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertLessThan(bytes, 1_000_000, "the report of a large run must stay small")
        let sections = ReportSections(page)
        for id in ["timeline", "latency", "rate", "books"] {
            XCTAssertGreaterThan(sections.count(id) ?? 0, 0, "\(id) drew nothing")
        }
        XCTAssertEqual(sections.count("timeline"), 128, "a lane per peer")
        XCTAssertEqual(sections.count("spacetime"), 0, "the fixture has no traced messages")
        XCTAssertTrue(page.contains("100000 decided requests are too many for a point each"), "the latency caption says it summarizes")
        XCTAssertTrue(page.contains("averaged over bins of"), "the rate caption says its bins are wider")
        XCTAssertTrue(page.contains("check passed"))
    }
}
