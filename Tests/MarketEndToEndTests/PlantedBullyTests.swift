import Foundation
import MarketTestKit
import XCTest

/// `market check` is sound under asynchrony but not blind: a planted Bully bug in real
/// processes is caught from the recorded history.
extension EndToEndTests {
    func test_aPlantedBullyBug_isCaughtByTheHistoryCheck() throws {
        let path = try temporaryDatabasePath()
        let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("planted.json")
        try Data("""
            {"name": "planted", "base": "single_pair", "requests": 5, "sick_rate": 0, "seed": 3,
             "first_election": 0, "planted_bug": "claim_at_once"}
            """.utf8).write(to: file)
        let outcome = try market(["run", "--scenario", file.path, "--db", path], deadline: 40)
        XCTAssertEqual(outcome.status, 1, outcome.stdout + outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains("epoch 1 was won by P0, but P2 was up and never took over"), outcome.stdout)
        let check = try market(["check", "--db", path], deadline: 30)
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("never took over"), check.stdout)
    }
}
