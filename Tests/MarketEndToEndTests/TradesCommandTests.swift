import GRDB
import MarketStore
import MarketTestKit
import XCTest

/// `market trades` and `market run --trades`: each trade as the lab printed it, exactly the rows
/// of the `trades` table, filtered by buyer, seller and run.
extension EndToEndTests {
    /// The run's trades as the test reads them from the table itself, in trade id order.
    func tradeLines(_ db: DatabaseQueue, runID: Int64, whereClause: String = "1") throws -> [String] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT buyer_id, seller_id, trader_id, epoch, product, quantity FROM trades
                WHERE run_id = ? AND \(whereClause) ORDER BY trade_id
                """, arguments: [runID]).map { row in
                let quantity: Int = row["quantity"]
                let product: String = row["product"]
                let goods = quantity == 1 ? product : "\(quantity) \(product)"
                return "P\(row["buyer_id"] as Int) bought \(goods) from P\(row["seller_id"] as Int) "
                    + "via P\(row["trader_id"] as Int), epoch \(row["epoch"] as Int)"
            }
        }
    }

    func listedTrades(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let outcome = try market(["trades"] + arguments, deadline: 30)
        XCTAssertEqual(outcome.status, 0, outcome.stderr, file: file, line: line)
        XCTAssertEqual(outcome.stderr, "", file: file, line: line)
        return outcome.stdout.split(separator: "\n").map(String.init)
    }

    func test_trades_listsExactlyTheTradesTable_filteredByBuyerSellerAndRun() throws {
        let path = try temporaryDatabasePath()
        // Run 1: two buyers of salt (P0, P3) and two sellers of it (P1, P5), so every filter has something to leave out.
        let first = try market(["run", "--scenario", "test_case3", "--requests", "20", "--sick-rate", "0", "--seed", "1",
                                "--db", path, "--time-limit", "45"])
        XCTAssertEqual(first.status, 0, first.stderr + first.stdout)
        XCTAssertFalse(first.stdout.contains("trades: "), "no trade list without --trades")
        // Run 2, with --trades: its list follows the summary.
        let second = try market(["run", "--scenario", "single_pair", "--requests", "20", "--sick-rate", "0", "--seed", "1",
                                 "--db", path, "--time-limit", "45", "--trades"])
        XCTAssertEqual(second.status, 0, second.stderr + second.stdout)
        let db = try readOnly(path)

        // How many sell depends on the sellers' first deposits reaching the trader before the
        // first buys; what is listed must be what the table holds, whatever it holds.
        let runTwo = try tradeLines(db, runID: 2)
        let printed = second.stdout.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(printed.firstIndex(of: "trades: \(runTwo.count)"), second.stdout)
        XCTAssertEqual(Array(printed[(header + 1)...]), runTwo.map { "  " + $0 }, "run --trades prints them last")

        XCTAssertEqual(try listedTrades(["--db", path]), runTwo.isEmpty ? ["run 2 of \(path) holds no trades"] : runTwo,
                       "the latest run by default")
        let runOne = try tradeLines(db, runID: 1)
        XCTAssertFalse(runOne.isEmpty, "test_case3 sold nothing, so no filter was tried: \(first.stdout)")
        XCTAssertNotEqual(runOne, runTwo)
        XCTAssertEqual(try listedTrades(["--db", path, "--run", "1"]), runOne)
        var byBuyer = 0
        for buyer in [0, 3] {
            let expected = try tradeLines(db, runID: 1, whereClause: "buyer_id = \(buyer)")
            byBuyer += expected.count
            XCTAssertEqual(try listedTrades(["--db", path, "--run", "1", "--buyer", String(buyer)]),
                           expected.isEmpty ? ["run 1 of \(path) holds no trades bought by P\(buyer)"] : expected)
        }
        XCTAssertEqual(byBuyer, runOne.count, "every trade is one buyer's")
        for seller in [1, 5] {
            let expected = try tradeLines(db, runID: 1, whereClause: "seller_id = \(seller)")
            XCTAssertEqual(try listedTrades(["--db", path, "--run", "1", "--seller", String(seller)]),
                           expected.isEmpty ? ["run 1 of \(path) holds no trades sold by P\(seller)"] : expected,
                           "seller P\(seller)")
        }
        let both = try tradeLines(db, runID: 1, whereClause: "buyer_id = 3 AND seller_id = 1")
        XCTAssertEqual(try listedTrades(["--db", path, "--run", "1", "--buyer", "3", "--seller", "1"]),
                       both.isEmpty ? ["run 1 of \(path) holds no trades bought by P3 and sold by P1"] : both)
        XCTAssertEqual(try listedTrades(["--db", path, "--run", "1", "--buyer", "1"]),
                       ["run 1 of \(path) holds no trades bought by P1"], "a seller bought nothing")

        try assertOneLine(["trades", "--db", path, "--run", "1", "--buyer", "9"], status: 2,
                          saying: "market trades: no peer P9 in run 1\n")
        try assertOneLine(["trades", "--db", path, "--seller", "-1"], status: 2,
                          saying: "market trades: --seller must be a peer number, 0 to 255\n")
        try assertOneLine(["trades", "--db", path, "--run", "3"], status: 2, saying: "market trades: no run 3 in the database\n")
    }
}
