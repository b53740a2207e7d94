import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// Migration 0009: a database written before it keeps its faults and takes the two new kinds.
final class ReachabilityMigrationTests: TemporaryDirectoryTestCase {
    func testAnOlderDatabaseKeepsItsFaultsAndRecordsUnreachableAndReachable() throws {
        let path = directory.path("old.db")
        let schema = Migrations.all.filter { $0.version < 9 }.map(\.sql).joined(separator: "\n")
        _ = try sqlite3(path, schema + """
            INSERT INTO runs(run_id, scenario, peer_count, seed, status) VALUES (1, 'old', 1, 1, 'completed');
            INSERT INTO faults(run_id, peer_id, kind, at) VALUES (1, 0, 'crash', '2026-11-29T20:41:14.210000Z');

            """)
        let database = try MarketDatabase.open(path: path)
        XCTAssertEqual(try database.schemaVersion(), Migrations.latest)
        try database.recordFault(runID: 1, peer: 0, kind: .unreachable)
        try database.recordFault(runID: 1, peer: 0, kind: .reachable)
        XCTAssertEqual(try sqlite3(path, "SELECT kind FROM faults ORDER BY fault_id;\n"), "crash\nunreachable\nreachable\n")
        XCTAssertThrowsError(try sqlite3(path, "INSERT INTO faults(run_id, peer_id, kind) VALUES (1, 0, 'lost');\n"),
                             "the kinds are still checked")
        XCTAssertEqual(try sqlite3(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'faults';\n"),
                       "faults_by_run\n")
    }
}
