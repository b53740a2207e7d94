import Foundation
import MarketTestKit
import XCTest

/// The SQLite migrations and the PostgreSQL ones build the same public schema: the same tables,
/// the same columns with the same nullability, primary keys and types (INTEGER as bigint, TEXT as
/// text), and record the same migrations. Each engine's files go through its own shell, as a
/// user would run them (`cat migrations/*.sql | sqlite3`, `… | psql`).
final class SchemaParityTests: TemporaryDirectoryTestCase {
    static let migrations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/MarketStore/Migrations")

    func testBothEnginesBuildTheSameTablesColumnsAndMigrations() throws {
        let sqliteFiles = try Self.sqlFiles(in: Self.migrations)
        let postgresFiles = try Self.sqlFiles(in: Self.migrations.appendingPathComponent("postgresql"))
        XCTAssertEqual(postgresFiles.map { $0.lastPathComponent.replacingOccurrences(of: ".pg.sql", with: ".sql") },
                       sqliteFiles.map(\.lastPathComponent), "the same numbers and names")

        let database = directory.path("parity.db")
        _ = try sqlite3(database, try Self.concatenated(sqliteFiles))
        let server = try privatePostgres()
        let url = try server.createDatabase("parity")
        _ = try server.psql(url: url, try Self.concatenated(postgresFiles))

        let sqliteColumns = try sqlite3(database, """
            SELECT m.name, p.name, CASE WHEN p."notnull" OR p.pk > 0 THEN 'not null' ELSE 'null' END, p.pk,
                   CASE upper(p.type) WHEN 'INTEGER' THEN 'bigint' WHEN 'TEXT' THEN 'text' ELSE p.type END
            FROM sqlite_schema m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%';
            """)
        let postgresColumns = try server.psql(url: url, """
            SELECT c.table_name, c.column_name, CASE c.is_nullable WHEN 'NO' THEN 'not null' ELSE 'null' END,
                   coalesce((SELECT k.ordinal_position
                             FROM information_schema.table_constraints t
                             JOIN information_schema.key_column_usage k
                               ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name
                             WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = 'public'
                               AND k.table_name = c.table_name AND k.column_name = c.column_name), 0),
                   c.data_type
            FROM information_schema.columns c WHERE c.table_schema = 'public';
            """)
        let sqliteRows = Self.rows(sqliteColumns)
        let postgresRows = Self.rows(postgresColumns)
        XCTAssertGreaterThan(sqliteRows.count, 90, "every column of every table:\n\(sqliteColumns)")
        XCTAssertEqual(Set(sqliteRows.map { $0.split(separator: "|")[0] }), Set(postgresRows.map { $0.split(separator: "|")[0] }),
                       "the same tables")
        XCTAssertEqual(sqliteRows.filter { !postgresRows.contains($0) }, [], "in SQLite only (table|column|null|pk|type)")
        XCTAssertEqual(postgresRows.filter { !sqliteRows.contains($0) }, [], "in PostgreSQL only (table|column|null|pk|type)")

        let recorded = "SELECT version, name FROM schema_migrations ORDER BY version;"
        let sqliteMigrations = try sqlite3(database, recorded)
        XCTAssertEqual(sqliteMigrations.split(separator: "\n").count, sqliteFiles.count)
        XCTAssertEqual(try server.psql(url: url, recorded), sqliteMigrations)
    }

    static func sqlFiles(in folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func concatenated(_ files: [URL]) throws -> String {
        try files.map { try String(contentsOf: $0, encoding: .utf8) }.joined(separator: "\n")
    }

    /// Lines, sorted in code: the engines' collations need not agree.
    static func rows(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).sorted()
    }
}
