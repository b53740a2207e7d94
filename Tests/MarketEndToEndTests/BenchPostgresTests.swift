import Foundation
import MarketTestKit
import XCTest

/// `market bench` measures PostgreSQL beside SQLite when it has a server, and says so when it
/// skips it. The smallest plan (`--smoke`): the figures are checked for being figures (positive,
/// finite), never for speed; the bench itself holds the goals.
final class BenchPostgresTests: XCTestCase {
    func testOnANamedServerTheTablePrintsPostgreSQLsFloorsAndBothPairs() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("bench")
        let run = try ChildRun.run(try EndToEndTests.marketBinary(), ["bench", "--smoke", "--postgres", url], deadline: 900)
        XCTAssertFalse(run.timedOut, "market bench did not end")
        XCTAssertEqual(run.status, 0, run.errors)

        let rows = [
            "PostgreSQL round trip (SELECT 1)",
            "PostgreSQL one-row commit (synchronous_commit=off)",
            "PostgreSQL one-row commit (synchronous_commit=on)",
            "sequential buy p50 / p99, SQLite NORMAL",
            "sequential buy p50 / p99, PostgreSQL synchronous_commit=off",
            "sequential buy p50 / p99, SQLite FULL",
            "sequential buy p50 / p99, PostgreSQL synchronous_commit=on",
            "16 peers, 12 buying, SQLite NORMAL",
            "16 peers, 12 buying, PostgreSQL synchronous_commit=off",
            "16 peers, 12 buying, SQLite FULL",
            "16 peers, 12 buying, PostgreSQL synchronous_commit=on",
        ]
        for name in rows {
            let cells = try XCTUnwrap(Self.row(name, in: run.output), "no row \"\(name)\" in:\n\(run.output)")
            let figures = Self.numbers(cells[1])
            XCTAssertFalse(figures.isEmpty, "\(name): \(cells[1])")
            for figure in figures { XCTAssertTrue(figure.isFinite && figure > 0, "\(name): \(cells[1])") }
            if name.contains("PostgreSQL synchronous_commit") {
                let ratios = Self.numbers(cells[2].components(separatedBy: "goal").first ?? "")
                XCTAssertFalse(ratios.isEmpty, "\(name) gives no ratio: \(cells[2])")
                for ratio in ratios { XCTAssertTrue(ratio.isFinite && ratio > 0, "\(name): \(cells[2])") }
            }
        }
        XCTAssertFalse(run.output.contains("skipped"), run.output)
        XCTAssertFalse(run.output.contains("did not pass"), run.output)
    }

    func testNoPostgresSaysItSkippedAndMeasuresNoPostgreSQL() throws {
        let run = try ChildRun.run(try EndToEndTests.marketBinary(), ["bench", "--smoke", "--no-postgres"], deadline: 600)
        XCTAssertFalse(run.timedOut, "market bench did not end")
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.output.contains("\nPostgreSQL figures skipped: --no-postgres"), run.output)
        XCTAssertFalse(run.output.contains("| PostgreSQL"), run.output)
        XCTAssertNotNil(Self.row("16 peers, 12 buying", in: run.output), "the SQLite figures are still there: \(run.output)")
        let explored = try XCTUnwrap(Self.row("explore 2 peers, 1 buyer, 1 request each, 0 crashes", in: run.output), "no explorer row: \(run.output)")
        XCTAssertTrue(explored[2].contains(" states, ") && !explored[2].contains("not complete"), explored[2])
        // The smoke plan's one short partition run gives the nemesis rows, read back through the liveness figures.
        let elections = try XCTUnwrap(Self.row("8 peers, --nemesis partition every 0.5 s: elections per action", in: run.output),
                                      "no nemesis row: \(run.output)")
        XCTAssertTrue(elections[2].contains("unexplained") && elections[2].contains("cut-off requests"), elections[2])
        XCTAssertNotNil(Self.row("8 peers, --nemesis partition every 0.5 s: rate while cut", in: run.output), run.output)
        XCTAssertNotNil(Self.row("8 peers, --nemesis partition every 0.5 s: settle after a heal", in: run.output), run.output)
    }

    func testNoPostgresAndAServerTogetherAreRefusedInOneLine() throws {
        let run = try ChildRun.run(try EndToEndTests.marketBinary(),
                                   ["bench", "--no-postgres", "--postgres", "postgresql://market@/x"], deadline: 60)
        XCTAssertEqual(run.status, 2, run.errors)
        XCTAssertEqual(run.errors.split(separator: "\n").count, 1, run.errors)
        XCTAssertTrue(run.errors.contains("--no-postgres and --postgres"), run.errors)
    }

    /// The cells of the table row whose measure is `name`.
    static func row(_ name: String, in table: String) -> [String]? {
        table.split(separator: "\n").lazy
            .map { $0.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
            .first { $0.count >= 4 && $0[1] == name }
            .map { Array($0.dropFirst()) }
    }

    static func numbers(_ text: String) -> [Double] {
        text.matches(of: #/[0-9]+(\.[0-9]+)?|inf|nan/#).map { Double(String($0.output.0)) ?? .nan }
    }
}
