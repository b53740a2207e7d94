import Foundation
import MarketTestKit
import XCTest

/// The real `market` binary on a database of the test process's private PostgreSQL server:
/// bad addresses refused in one line before anything starts, and whole runs checked clean.
extension EndToEndTests {
    /// `market inspect db` and `market run` on `url` both refuse it, exit 2, in one line.
    func assertServerRefused(_ url: String, saying expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try assertOneLine(["inspect", "db", "--db", url], status: 2, saying: "market inspect: " + expected, file: file, line: line)
        try assertOneLine(["run", "--scenario", "single_pair", "--requests", "3", "--db", url], status: 2,
                          saying: "market run: " + expected, file: file, line: line)
    }

    func test_postgres_badAddresses_areRefusedInOneLineBeforeAnythingStarts() throws {
        try assertServerRefused("postgresql://market@127.0.0.1:notaport/market",
                                saying: "malformed database URL postgresql://market@127.0.0.1:notaport/market: port notaport is not a port number")
        // Port 1 on loopback: nobody listens there.
        try assertServerRefused("postgresql://market@127.0.0.1:1/market",
                                saying: "cannot open postgresql://market@127.0.0.1:1/market: cannot reach the server: Connection refused")

        let server = try privatePostgres()
        let empty = try server.createDatabase("wrong_password")
        let name = try XCTUnwrap(empty.components(separatedBy: "@/").last?.components(separatedBy: "?").first)
        let wrong = server.tcpURL(database: name, password: "wrong")
        let shown = wrong.replacingOccurrences(of: ":wrong@", with: ":***@")
        try assertServerRefused(wrong, saying: "cannot open \(shown): refused by the server: password authentication failed for user \"market\"")
        XCTAssertThrowsError(try server.psql(url: wrong, "SELECT 1;"), "the server checks the password over TCP")
    }

    func test_postgres_databasesNotOursOrNewer_areRefusedUntouched() throws {
        let server = try privatePostgres()
        let foreign = try server.createDatabase("foreign")
        _ = try server.psql(url: foreign, "CREATE TABLE invoices(id bigint);")
        try assertServerRefused(foreign, saying: "\(foreign) is not a market database")
        XCTAssertEqual(try server.psql(url: foreign, "SELECT string_agg(table_name, ',') FROM information_schema.tables WHERE table_schema = 'public';"),
                       "invoices\n", "nothing was added to another program's database")

        let newer = try server.createDatabase("newer")
        let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/MarketStore/Migrations/postgresql")
        let files = try FileManager.default.contentsOfDirectory(atPath: migrations.path).filter { $0.hasSuffix(".sql") }.sorted()
        _ = try server.psql(url: newer, try files.map {
            try String(contentsOf: migrations.appendingPathComponent($0), encoding: .utf8)
        }.joined(separator: "\n") + "\nINSERT INTO schema_migrations(version, name) VALUES (99, 'from_the_future');")
        try assertServerRefused(newer, saying: "\(newer) has schema version 99, newer than this market binary supports")
        XCTAssertEqual(try server.psql(url: newer, "SELECT count(*) FROM runs;"), "0\n", "no run was started")
    }

    func test_postgres_case3_isCheckedClean() throws {
        let url = try privatePostgres().createDatabase("case3")
        let outcome = try market(["run", "--scenario", "test_case3", "--requests", "30", "--seed", "3",
                                  "--sick-rate", "0", "--db", url, "--json", "--time-limit", "60"], deadline: 120)
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["status"] as? String, "completed")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["decided"] as? Int, 60)
        try assertCheckedClean(url)
    }

    func test_postgres_crashTakeover_isCheckedClean() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("takeover")
        let outcome = try market(["run", "--scenario", "test_case2", "--requests", "120", "--sick-mode", "crash",
                                  "--sick-rate", "0.05", "--recover-after", "0.2", "--seed", "11", "--db", url,
                                  "--json", "--time-limit", "90"], deadline: 150)
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["decided"] as? Int, 120)
        let run = try XCTUnwrap(json["run_id"] as? Int)
        XCTAssertGreaterThan(Int(try server.psql(url: url, "SELECT count(*) FROM faults WHERE run_id = \(run) AND kind = 'crash';")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0, "the trader never crashed")
        XCTAssertGreaterThan(Int(try server.psql(url: url, "SELECT count(*) FROM requests WHERE run_id = \(run) AND epoch_decided > epoch_received;")
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, 0, "no request was taken over by a later trader")
        try assertCheckedClean(url)
    }

    /// `market check` on the server's history: every invariant holds.
    func assertCheckedClean(_ url: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let check = try market(["check", "--db", url], deadline: 60)
        XCTAssertEqual(check.status, 0, check.stderr + check.stdout, file: file, line: line)
        XCTAssertTrue(check.stdout.contains("no violation"), check.stdout, file: file, line: line)
    }
}
