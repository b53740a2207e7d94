import Foundation
import MarketTestKit
import XCTest

/// Every ready query in tools/queries gives the same rows in sqlite3 and in psql, on one real
/// history: a run's SQLite database, copied table by table into a PostgreSQL database built by
/// the PostgreSQL migrations. Numbers are compared as numbers (SQLite prints 3.6 where
/// PostgreSQL's numeric prints 3.6000000000000000).
final class PortableQueryTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let queries = root.appendingPathComponent("tools/queries")

    func testEveryReadyQueryGivesTheSameRowsInSQLiteAndPostgreSQL() throws {
        guard let sqlite3 = ChildRun.find(["sqlite3"]) else { throw XCTSkip("the sqlite3 shell is not installed") }
        let server = try privatePostgres()
        let directory = try TemporaryDirectory()
        addTeardownBlock { directory.remove() }
        let database = directory.path("market.db")
        let run = try ChildRun.run(try EndToEndTests.marketBinary(), [
            "run", "--scenario", "test_case3", "--requests", "60", "--sick-mode", "crash", "--sick-rate", "0.05",
            "--recover-after", "0.2", "--seed", "11", "--trace", "--db", database, "--time-limit", "60",
        ], deadline: 90)
        XCTAssertFalse(run.timedOut, "market run did not end")
        XCTAssertEqual(run.status, 0, run.errors + run.output)

        let url = try server.createDatabase("queries")
        let migrations = Self.root.appendingPathComponent("Sources/MarketStore/Migrations/postgresql")
        let files = try FileManager.default.contentsOfDirectory(atPath: migrations.path).filter { $0.hasSuffix(".sql") }.sorted()
        _ = try server.psql(url: url, try files.map { try String(contentsOf: migrations.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n"))
        try copyHistory(from: database, sqlite3: sqlite3, into: url, server: server, folder: directory)

        let names = try FileManager.default.contentsOfDirectory(atPath: Self.queries.path).filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 9, "the ready queries: \(names)")
        for name in names {
            let lite = try sqliteRows(sqlite3, database, query: Self.queries.appendingPathComponent(name))
            let pg = try postgresRows(server, url, query: Self.postgresFile(name))
            XCTAssertEqual(pg, lite, "\(name): psql's rows (left) against sqlite3's (right)")
            XCTAssertGreaterThan(lite.count, 1, "\(name) gave no rows")
        }
        // P3 is test_case3's other buyer: the parameter is honoured by both shells.
        let buyer = try sqliteRows(sqlite3, database, query: Self.queries.appendingPathComponent("buyer-history.sql"),
                                   options: ["-cmd", ".parameter set :buyer 3"])
        XCTAssertEqual(try postgresRows(server, url, query: Self.postgresFile("buyer-history.sql"), options: ["-v", "buyer=3"]), buyer)
        XCTAssertEqual(buyer.count, 61, "P3's 60 requests and the header")
    }

    /// The PostgreSQL variant where there is one, else the shared file.
    static func postgresFile(_ name: String) -> URL {
        let variant = queries.appendingPathComponent("postgresql/" + name)
        return FileManager.default.fileExists(atPath: variant.path) ? variant : queries.appendingPathComponent(name)
    }

    /// `sqlite3 -csv -header` out, `\copy … FROM … csv HEADER` in, every table but the migrations' own.
    private func copyHistory(from database: String, sqlite3: URL, into url: String, server: PrivatePostgres,
                             folder: TemporaryDirectory) throws {
        let listed = try ChildRun.run(sqlite3, ["-bail", database,
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'"],
            deadline: 30)
        XCTAssertEqual(listed.errors, "")
        // runs first: every other table refers to it.
        let tables = listed.output.split(separator: "\n").map(String.init).sorted { ($0 == "runs" ? 0 : 1, $0) < ($1 == "runs" ? 0 : 1, $1) }
        XCTAssertTrue(tables.contains("trades") && tables.contains("messages"), "\(tables)")
        var script = ""
        for table in tables {
            let csv = folder.path(table + ".csv")
            let out = try ChildRun.run(sqlite3, ["-bail", "-csv", "-header", database, "SELECT * FROM \(table)"], deadline: 60)
            XCTAssertEqual(out.errors, "")
            guard let header = out.output.split(separator: "\n").first else { continue }  // an empty table prints nothing
            try out.stdout.write(to: URL(fileURLWithPath: csv))
            script += "\\copy \(table)(\(header)) FROM '\(csv)' WITH (FORMAT csv, HEADER true)\n"
        }
        _ = try server.psql(url: url, script)
    }

    private func sqliteRows(_ sqlite3: URL, _ database: String, query: URL, options: [String] = []) throws -> [[String]] {
        // `sqlite3 -header -column market.db < tools/queries/NAME.sql`, as the README says, in CSV.
        let answer = try ChildRun.run(URL(fileURLWithPath: "/bin/sh"),
                                      ["-c", "query=$1; shift; \"$0\" \"$@\" < \"$query\"", sqlite3.path, query.path,
                                       "-bail", "-csv", "-header"] + options + [database], deadline: 30)
        XCTAssertEqual(answer.status, 0, "\(query.lastPathComponent): \(answer.errors)")
        XCTAssertEqual(answer.errors, "", "\(query.lastPathComponent) wrote errors")
        return Self.normalised(answer.output)
    }

    private func postgresRows(_ server: PrivatePostgres, _ url: String, query: URL, options: [String] = []) throws -> [[String]] {
        // `psql URL -f tools/queries/NAME.sql`, as the README says, in CSV.
        let psql = URL(fileURLWithPath: server.binDirectory + "/psql")
        let answer = try ChildRun.run(psql, ["-X", "--csv", "-v", "ON_ERROR_STOP=1"] + options + ["-d", url, "-f", query.path],
                                      deadline: 30)
        XCTAssertEqual(answer.status, 0, "\(query.lastPathComponent): \(answer.errors)")
        XCTAssertEqual(answer.errors, "", "\(query.lastPathComponent) wrote errors")
        return Self.normalised(answer.output)
    }

    /// CSV records with quotes undone and every number in one form.
    static func normalised(_ csv: String) -> [[String]] {
        csv.split(separator: "\n").map { line in
            fields(String(line)).map { field in Double(field).map { String($0) } ?? field }
        }
    }

    /// One CSV line's fields (no field of these queries holds a line break).
    static func fields(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var previous: Character?
        for character in line {
            switch (character, quoted) {
            case ("\"", false):
                if previous == "\"" { current.append("\"") }
                quoted = true
            case ("\"", true): quoted = false
            case (",", false):
                fields.append(current)
                current = ""
            default: current.append(character)
            }
            previous = character
        }
        fields.append(current)
        return fields
    }
}
