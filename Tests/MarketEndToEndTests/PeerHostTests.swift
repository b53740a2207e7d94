import Foundation
import GRDB
import MarketTestKit
import XCTest

/// `peers.host`: where each peer ran. Every peer a supervisor starts runs on its own host; a
/// peer down from the start ran nowhere.
extension EndToEndTests {
    func test_everyPeerStarted_isRecordedOnThisHost() throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "one_down", "--requests", "5", "--seed", "1", "--db", path])
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let here = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        try readOnly(path).read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT peer_id, host, down_at_start FROM peers ORDER BY peer_id")
            XCTAssertEqual(rows.count, 4)
            for row in rows {
                let host: String? = row["host"]
                if row["down_at_start"] as Bool {
                    XCTAssertNil(host, "P\(row["peer_id"] as Int) was down from the start")
                } else {
                    XCTAssertEqual(host?.split(separator: ".").first.map(String.init), here, "P\(row["peer_id"] as Int)")
                }
            }
        }
    }
}
