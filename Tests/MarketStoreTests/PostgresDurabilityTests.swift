import MarketTestKit
import XCTest

@testable import MarketStore

/// `--durability` means on PostgreSQL what it means on SQLite: normal may lose the last commits
/// to a crash of the machine (or here the server), full may not.
final class PostgresDurabilityTests: XCTestCase {
    func testEachSessionsSynchronousCommitFollowsTheDurability() throws {
        let url = try privatePostgres().createDatabase("durability")
        for (durability, expected) in [(Durability.normal, "off"), (.full, "on")] {
            let database = try MarketDatabase.open(url: url, durability: durability)
            XCTAssertEqual(try database.write { db in try String.fetchOne(db, sql: "SHOW synchronous_commit") }, expected,
                           "\(durability)")
        }
    }
}
