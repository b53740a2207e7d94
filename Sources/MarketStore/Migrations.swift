
/// One schema step: `Migrations/NNNN_name.sql`, built into the binary. The file records
/// itself in `schema_migrations`, so piping the files into `sqlite3` builds the same schema.
struct Migration: Sendable {
    let version: Int
    let name: String
    let sql: String
    /// The same step for PostgreSQL: `Migrations/postgresql/NNNN_name.pg.sql`.
    var postgresql: String? = nil

    func sql(for engine: SQLEngine) -> String? {
        switch engine {
        case .sqlite: sql
        case .postgresql: postgresql
        }
    }
}

enum Migrations {
    /// Every migration, in order. A new step is two files (SQLite's and PostgreSQL's), each with
    /// its `.embedInCode` line in Package.swift, and a line here; a test compares this list with
    /// both directories.
    static let all: [Migration] = [
        Migration(
            version: 1, name: "history", sql: text(PackageResources._001_history_sql),
            postgresql: text(PackageResources._001_history_pg_sql)),
        Migration(
            version: 2, name: "election_origin", sql: text(PackageResources._002_election_origin_sql),
            postgresql: text(PackageResources._002_election_origin_pg_sql)),
        Migration(
            version: 3, name: "run_supervisor", sql: text(PackageResources._003_run_supervisor_sql),
            postgresql: text(PackageResources._003_run_supervisor_pg_sql)),
        Migration(
            version: 4, name: "run_stopping", sql: text(PackageResources._004_run_stopping_sql),
            postgresql: text(PackageResources._004_run_stopping_pg_sql)),
        Migration(
            version: 5, name: "time_microseconds", sql: text(PackageResources._005_time_microseconds_sql),
            postgresql: text(PackageResources._005_time_microseconds_pg_sql)),
        Migration(
            version: 6, name: "store_functions", sql: text(PackageResources._006_store_functions_sql),
            postgresql: text(PackageResources._006_store_functions_pg_sql)),
        Migration(
            version: 7, name: "peer_host", sql: text(PackageResources._007_peer_host_sql),
            postgresql: text(PackageResources._007_peer_host_pg_sql)),
        Migration(
            version: 8, name: "nemesis", sql: text(PackageResources._008_nemesis_sql),
            postgresql: text(PackageResources._008_nemesis_pg_sql)),
        Migration(
            version: 9, name: "fault_reachability", sql: text(PackageResources._009_fault_reachability_sql),
            postgresql: text(PackageResources._009_fault_reachability_pg_sql)),
        Migration(
            version: 10, name: "leader_lease", sql: text(PackageResources._010_leader_lease_sql),
            postgresql: text(PackageResources._010_leader_lease_pg_sql)),
        Migration(
            version: 11, name: "views", sql: text(PackageResources._011_views_sql),
            postgresql: text(PackageResources._011_views_pg_sql)),
        Migration(
            version: 12, name: "pipelining", sql: text(PackageResources._012_pipelining_sql),
            postgresql: text(PackageResources._012_pipelining_pg_sql)),
    ]

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

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

    static func state(_ db: any SQLSession) throws -> State {
        let tables = try db.tableNames()
        if tables.isEmpty { return .empty }
        guard tables.contains("schema_migrations") else { return .foreign }
        let version = try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations") ?? 0
        return .market(version: version)
    }

    /// Refuses, untouched, a database that is not ours (or empty where one must exist), or whose
    /// schema is newer than this binary's.
    static func refuse(_ state: State, path: String, mustExist: Bool) throws(StoreError) {
        switch state {
        case .foreign: throw .notAMarketDatabase(path: path)
        case .empty where mustExist: throw .notAMarketDatabase(path: path)
        case .market(let version) where version > latest:
            throw .newerSchema(path: path, found: version, supported: latest)
        default: break
        }
    }

    /// Any constant key for `pg_advisory_xact_lock`: two processes migrating one PostgreSQL
    /// database at once take turns, the second finding the schema already there.
    static let postgresLockKey: Int64 = 0x6D61_726B_6574 // "market"

    /// Applies what is missing; the caller holds a write transaction (SQLite: IMMEDIATE, so the
    /// file's write lock; PostgreSQL: the advisory lock taken here, held until it ends).
    static func migrate(_ db: any SQLSession, path: String) throws {
        if db.engine == .postgresql {
            try db.execute(sql: "SELECT pg_advisory_xact_lock(?)", arguments: [postgresLockKey])
        }
        let current: Int
        switch try state(db) {
        case .empty: current = 0
        case .foreign: throw StoreError.notAMarketDatabase(path: path)
        case .market(let version): current = version
        }
        if current > latest { throw StoreError.newerSchema(path: path, found: current, supported: latest) }
        for migration in all where migration.version > current {
            guard let sql = migration.sql(for: db.engine) else {
                throw StoreError.sqlite("migration \(migration.version)_\(migration.name) has no \(db.engine.rawValue) version")
            }
            try db.executeScript(sql)
            let recorded = try Bool.fetchOne(
                db, sql: "SELECT count(*) > 0 FROM schema_migrations WHERE version = ?", arguments: [migration.version]) ?? false
            guard recorded else {
                throw StoreError.sqlite("migration \(migration.version)_\(migration.name) does not record itself in schema_migrations")
            }
        }
    }
}
