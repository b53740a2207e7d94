import GRDB

/// One schema step: `Migrations/NNNN_name.sql`, built into the binary. The file records
/// itself in `schema_migrations`, so piping the files into `sqlite3` builds the same schema.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sql: String
}

enum Migrations {
    /// Every migration, in order. A new file also needs its `.embedInCode` line in Package.swift
    /// and a line here; a test compares this list with the directory.
    static let all: [Migration] = [
        Migration(version: 1, name: "history", sql: String(decoding: PackageResources._001_history_sql, as: UTF8.self)),
        Migration(
            version: 2, name: "election_origin",
            sql: String(decoding: PackageResources._002_election_origin_sql, as: UTF8.self)),
        Migration(
            version: 3, name: "run_supervisor",
            sql: String(decoding: PackageResources._003_run_supervisor_sql, as: UTF8.self)),
        Migration(
            version: 4, name: "run_stopping",
            sql: String(decoding: PackageResources._004_run_stopping_sql, as: UTF8.self)),
        Migration(
            version: 5, name: "time_microseconds",
            sql: String(decoding: PackageResources._005_time_microseconds_sql, as: UTF8.self)),
    ]

    static var latest: Int { all.last?.version ?? 0 }

    /// What a database file holds, as far as the schema goes.
    enum State: Equatable {
        /// No tables at all: a new (or empty) file.
        case empty
        /// Ours, at this version.
        case market(version: Int)
        /// Tables, but no `schema_migrations`: some other program's database.
        case foreign
    }

    static func state(_ db: Database) throws -> State {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        if tables.isEmpty { return .empty }
        guard tables.contains("schema_migrations") else { return .foreign }
        let version = try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations") ?? 0
        return .market(version: version)
    }

    /// Applies what is missing; the caller holds an IMMEDIATE transaction.
    static func migrate(_ db: Database, path: String) throws {
        let current: Int
        switch try state(db) {
        case .empty: current = 0
        case .foreign: throw StoreError.notAMarketDatabase(path: path)
        case .market(let version): current = version
        }
        if current > latest { throw StoreError.newerSchema(path: path, found: current, supported: latest) }
        for migration in all where migration.version > current {
            try db.execute(sql: migration.sql)
            let recorded = try Bool.fetchOne(
                db, sql: "SELECT count(*) > 0 FROM schema_migrations WHERE version = ?", arguments: [migration.version]) ?? false
            guard recorded else {
                throw StoreError.sqlite("migration \(migration.version)_\(migration.name) does not record itself in schema_migrations")
            }
        }
    }
}
