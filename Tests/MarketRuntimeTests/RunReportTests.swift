import Foundation
import MarketCore
@testable import MarketRuntime
import MarketStore
import XCTest

final class RunReportTests: XCTestCase {
    /// The JSON summary keys its fault counts by the history's names, as it did when the
    /// counts were keyed by those names.
    func testFaultCountsEncodeByTheirNames() throws {
        let report = RunReport(
            runID: 1, scenario: "test_case2", seed: 7, database: "market.db", status: "completed", seconds: 1.5,
            requests: 10, made: 10, decided: 10, bought: 9, failed: 1, takeovers: 0, decidedPerSecond: 6.7, peers: [],
            elections: [], faults: [.downAtStart: 1, .crash: 2, .recover: 2], violations: [], problem: nil,
            check: nil, passed: true)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        XCTAssertEqual(json["faults"] as? [String: Int], ["down_at_start": 1, "crash": 2, "recover": 2])
        XCTAssertTrue(report.json().contains("""
              "faults" : {
                "crash" : 2,
                "down_at_start" : 1,
                "recover" : 2
              },
            """), report.json())
        XCTAssertTrue(report.text().contains("faults: crash ×2, down_at_start ×1, recover ×2"), report.text())
    }

    /// Failed buys are counted by reason in the text and in the JSON, the commonest first.
    func testFailedBuysAreGivenByReason() throws {
        let report = RunReport(
            runID: 1, scenario: "test_case1", seed: 7, database: "market.db", status: "completed", seconds: 1.5,
            requests: 2000, made: 2000, decided: 2000, bought: 198, failed: 1802,
            failedByReason: ["trader gone": 2, "no seller": 1800], takeovers: 0, decidedPerSecond: 6.7, peers: [],
            elections: [], faults: [:], violations: [], problem: nil, check: nil, passed: true)
        XCTAssertTrue(report.text().contains("requests: 2000/2000 decided (198 bought, 1802 failed: no seller ×1800, trader gone ×2)"),
                      report.text())
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        XCTAssertEqual(json["failed_by_reason"] as? [String: Int], ["no seller": 1800, "trader gone": 2])
    }

    /// View changes are counted per epoch in the text and the JSON; a run without any says nothing of them.
    func testViewChangesAreCountedPerEpoch() throws {
        var report = RunReport(
            runID: 1, scenario: "normal", seed: 7, database: "market.db", status: "completed", seconds: 1.5,
            requests: 20, made: 20, decided: 20, bought: 20, failed: 0, takeovers: 0, decidedPerSecond: 13.3, peers: [],
            elections: [], faults: [:], violations: [], problem: nil, check: nil, passed: true)
        XCTAssertFalse(report.text().contains("view changes"), report.text())
        report.viewChanges = [.init(epoch: 1, changes: 2), .init(epoch: 3, changes: 1)]
        XCTAssertTrue(report.text().contains("view changes: 3 (epoch 1 ×2, epoch 3 ×1)"), report.text())
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let changes = try XCTUnwrap(json["view_changes"] as? [[String: Int]])
        XCTAssertEqual(changes, [["epoch": 1, "changes": 2], ["epoch": 3, "changes": 1]])
    }
}
