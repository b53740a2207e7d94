@testable import MarketStore
import XCTest

/// The engine-neutral SQL layer: placeholders written once, rows read strictly by name.
final class SQLLayerTests: TemporaryDirectoryTestCase {
    func test_placeholdersAreNumberedForPostgreSQLOutsideQuotedText() {
        XCTAssertEqual(Placeholders.numbered("SELECT ? , ? FROM t WHERE a = '?' AND \"b?\" = ?"),
                       "SELECT $1 , $2 FROM t WHERE a = '?' AND \"b?\" = $3")
        XCTAssertEqual(Placeholders.numbered("WHERE run_id = ?1 AND (buyer_id = ?2 OR seller_id = ?2)"),
                       "WHERE run_id = $1 AND (buyer_id = $2 OR seller_id = $2)")
        XCTAssertEqual(Placeholders.numbered("LIMIT ?"), "LIMIT $1")
    }

    func test_aRowReadsByNameAndRefusesAWrongType() throws {
        let row = SQLRow(columns: ["quantity", "product", "reason"], values: [.text("lots"), .text("salt"), .null])
        XCTAssertEqual(try row.get("product") as String, "salt")
        XCTAssertNil(try row.optional("reason") as String?)
        XCTAssertThrowsError(try row.get("quantity") as Int) { error in
            XCTAssertEqual(error as? StoreError, .malformed(column: "quantity", value: "'lots'"))
        }
        XCTAssertThrowsError(try row.get("reason") as String) { error in
            XCTAssertEqual(error as? StoreError, .malformed(column: "reason", value: "NULL"))
        }
    }

    func test_aRecordDecodesFromColumnsByTheirNames() throws {
        let row = SQLRow(
            columns: ["run_id", "trade_id", "request_id", "buyer_id", "seller_id", "trader_id", "epoch", "product", "quantity",
                      "price_cents", "commission_cents", "lamport_ts", "at"],
            values: [.integer(1), .integer(3), .text("P0-2"), .integer(0), .integer(1), .integer(6), .integer(2), .text("salt"),
                     .integer(1), .integer(100), .integer(10), .null, .text("2026-01-01T00:00:00.000000Z")])
        let trade = try row.decode(TradeRecord.self)
        XCTAssertEqual(trade.description, "P0 bought salt from P1 via P6, epoch 2")
        XCTAssertNil(trade.lamport)
        let bad = SQLRow(columns: row.columns, values: row.values.enumerated().map { $0.offset == 7 ? .text("gold") : $0.element })
        XCTAssertThrowsError(try bad.decode(TradeRecord.self)) { error in
            XCTAssertEqual(error as? StoreError, .malformed(column: "product", value: "'gold'"))
        }
    }

    func test_aScriptIsCutAtSemicolonsOutsideQuotesDollarQuotesAndComments() {
        let script = """
            -- a comment; with a semicolon
            CREATE FUNCTION f(p bigint) RETURNS bigint LANGUAGE plpgsql AS $$
            BEGIN RETURN p + 1; END $$;
            CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT 'a;b' $body$;
            INSERT INTO t VALUES ('x;y', $1);
            """
        let statements = PostgresSession.statements(script)
        XCTAssertEqual(statements.count, 3, "\(statements)")
        XCTAssertTrue(statements[0].hasSuffix("BEGIN RETURN p + 1; END $$"), statements[0])
        XCTAssertTrue(statements[1].hasSuffix("$body$ SELECT 'a;b' $body$"), statements[1])
        XCTAssertEqual(statements[2], "INSERT INTO t VALUES ('x;y', $1)")
    }
}
