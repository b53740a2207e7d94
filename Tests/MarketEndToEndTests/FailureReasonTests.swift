import Foundation
import XCTest

/// A run whose buys fail says why: the summary, `--json` and the report's header count the
/// failed buys by the reason the trader recorded.
extension EndToEndTests {
    func test_failedBuys_areExplainedByReason_inTheSummaryTheJSONAndTheReport() throws {
        let path = try temporaryDatabasePath()
        let text = try market(["run", "--scenario", "no_match", "--requests", "5", "--sick-rate", "0", "--seed", "1", "--db", path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("(0 bought, 5 failed: no seller ×5)"), text.stdout)

        let json = try market(["run", "--scenario", "no_match", "--requests", "5", "--sick-rate", "0", "--seed", "1",
                               "--db", path, "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(json.json?["failed_by_reason"] as? [String: Int], ["no seller": 5], json.stdout)

        let out = (path as NSString).deletingLastPathComponent + "/report.html"
        let report = try market(["report", "--db", path, "--out", out])
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(page.contains("5 decided (5 failed: no seller ×5)"), String(page.prefix(3000)))
    }

    func test_scenarios_sayWhatEachIsExpectedToShow() throws {
        let outcome = try market(["scenarios"])
        XCTAssertEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stdout.contains("most buys fail \"no seller\" by design"), outcome.stdout)
        let line = try XCTUnwrap(outcome.stdout.split(separator: "\n").first { $0.hasPrefix("no_match ") })
        XCTAssertTrue(line.hasSuffix("every buy fails \"no seller\""), String(line))
    }
}
