import Foundation
@testable import MarketStore
import XCTest

/// `--db` as libpq reads its URL form: a path stays SQLite, a URL names a server's database.
final class DatabaseLocationTests: TemporaryDirectoryTestCase {
    private func address(_ url: String, _ environment: [String: String] = [:]) throws -> PostgresAddress {
        guard case .postgres(let address) = try DatabaseLocation.parse(url, environment: environment) else {
            throw XCTSkip("unreachable: \(url) parsed as a file")
        }
        return address
    }

    func test_aPathIsAnSQLiteFile() throws {
        XCTAssertEqual(try DatabaseLocation.parse("market.db"), .file(path: "market.db"))
        XCTAssertEqual(try DatabaseLocation.parse("/tmp/postgresql.db"), .file(path: "/tmp/postgresql.db"))
    }

    func test_aFullURLNamesEveryPart() throws {
        let address = try address("postgresql://ann:s%40cret@db.example:6543/shop?sslmode=require")
        XCTAssertEqual(address.user, "ann")
        XCTAssertEqual(address.password, "s@cret")
        XCTAssertEqual(address.host, "db.example")
        XCTAssertEqual(address.port, 6543)
        XCTAssertEqual(address.database, "shop")
        XCTAssertEqual(address.sslMode, .require)
        XCTAssertNil(address.socketDirectory)
        XCTAssertEqual(address.display, "postgresql://ann:***@db.example:6543/shop?sslmode=require")
    }

    func test_aSocketDirectoryAndLibpqDefaults() throws {
        let address = try address("postgres://market@/runs?host=/tmp/pg-sock", ["PGPORT": "55432"])
        XCTAssertEqual(address.socketDirectory, "/tmp/pg-sock")
        XCTAssertNil(address.host)
        XCTAssertEqual(address.port, 55432)
        XCTAssertEqual(address.database, "runs")
        let bare = try self.address("postgresql://", ["PGUSER": "bob"])
        XCTAssertEqual(bare.user, "bob")
        XCTAssertEqual(bare.database, "bob", "the database is named after the user")
        XCTAssertEqual(bare.port, 5432)
        XCTAssertEqual(bare.socketDirectory, PostgresAddress.defaultSocketDirectory)
        XCTAssertEqual(bare.sslMode, .prefer)
    }

    func test_thePasswordComesFromTheURLThenPGPASSWORDThenThePasswordFile() throws {
        let file = directory.path("pgpass")
        try "# comment\nother:5432:*:*:no\ndb.example:5432:shop:ann:from\\:file\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(file, 0o600), 0)
        let url = "postgresql://ann@db.example/shop"
        XCTAssertEqual(try address(url, ["PGPASSFILE": file]).password, "from:file")
        XCTAssertEqual(try address(url, ["PGPASSFILE": file, "PGPASSWORD": "env"]).password, "env")
        XCTAssertEqual(try address("postgresql://ann:url@db.example/shop", ["PGPASSFILE": file, "PGPASSWORD": "env"]).password, "url")
        XCTAssertNil(try address("postgresql://ann@db.example/other", ["PGPASSFILE": file]).password)
        // libpq ignores a password file that others may read; so does market.
        XCTAssertEqual(chmod(file, 0o644), 0)
        XCTAssertNil(try address(url, ["PGPASSFILE": file]).password)
    }

    func test_aMalformedURLIsOneLineNamingWhatIsWrongWithoutThePassword() {
        let cases = [
            ("postgresql://ann:pw@host:99999/db", "port 99999 is not a port number"),
            ("postgresql://ann:pw@host/db?colour=blue", "unknown parameter colour"),
            ("postgresql://ann:pw@host/db?sslmode=always", "sslmode must be one of"),
            ("postgresql://ann:pw@[::1/db", "unterminated [ in the host"),
            ("postgresql://ann:pw@host/db?host=/" + String(repeating: "d", count: 120), "longer than 107 bytes"),
        ]
        for (url, reason) in cases {
            XCTAssertThrowsError(try DatabaseLocation.parse(url, environment: [:]), url) { error in
                guard case .badDatabaseURL(let shown, let why) = error as? StoreError else {
                    return XCTFail("\(url): \(error)")
                }
                XCTAssertTrue(why.contains(reason), "\(url): \(why)")
                XCTAssertFalse(shown.contains("pw"), "the password is shown: \(shown)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }
}
