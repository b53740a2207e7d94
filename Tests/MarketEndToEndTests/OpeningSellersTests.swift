import Foundation
import XCTest

/// The market opens with its sellers: no buy fails `no seller` because it reached the trader
/// a moment before the seller's first deposit did, whatever the processes' interleaving.
extension EndToEndTests {
    func test_singlePair_buysEverythingOnEverySeed_theMarketOpensWithItsSeller() throws {
        let path = try temporaryDatabasePath()
        for seed in 1...4 {
            let run = try market(["run", "--scenario", "single_pair", "--requests", "5", "--sick-rate", "0",
                                  "--seed", "\(seed)", "--db", path, "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(run.json?["bought"] as? Int, 5, "seed \(seed): \(run.stdout)")
            XCTAssertEqual(run.json?["failed_by_reason"] as? [String: Int], [:], "seed \(seed)")
            let first = (run.json?["elections"] as? [[String: Any]])?.first
            XCTAssertEqual(first?["reason"] as? String, "startup", "seed \(seed): epoch 1 is the startup election")
        }
    }
}
