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
        let writing = ContinuousClock.now
        let runID = try LargeHistoryFixture.write(path: path)
        print("fixture written in \(ContinuousClock.now - writing)")
        let database = try MarketDatabase.openReadOnly(path: path)

        let started = ContinuousClock.now
        let out = directory.appendingPathComponent("report.html").path
        let bytes = try ReportWriter.write(database: database, runID: runID, to: out)
        let elapsed = ContinuousClock.now - started
        // A figure, not a goal: timed assertions belong in benchmarks.
        print("report of \(LargeHistoryFixture.peers) peers and \(LargeHistoryFixture.requests) requests: \(bytes) bytes, written in \(elapsed)")

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
