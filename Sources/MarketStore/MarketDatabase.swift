import Foundation
import GRDB
import MarketCore

public enum RunStatus: String, CaseIterable, Codable, Sendable {
    case running, completed, failed, interrupted
}

public enum FaultKind: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case sick, crash, resign, recover
    case downAtStart = "down_at_start"
    /// Its host stopped answering (not a crash: the peer may be alive), and answered again.
    case unreachable, reachable
}

/// One traced message for the optional `messages` table (`--trace`).
public struct TracedMessage: Hashable, Sendable {
    public var kind: String
    public var from: PeerID
    public var to: PeerID
    public var sendClock: UInt64
    /// The receiver's clock after it took the message in; nil if it never arrived.
    public var recvClock: UInt64?
    public var sentAt: Date?
    public var receivedAt: Date?

    public init(kind: String, from: PeerID, to: PeerID, sendClock: UInt64, recvClock: UInt64?,
                sentAt: Date? = nil, receivedAt: Date? = nil) {
        self.kind = kind
        self.from = from
        self.to = to
        self.sendClock = sendClock
        self.recvClock = recvClock
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }

    public init(_ envelope: Envelope, recvClock: UInt64?, sentAt: Date? = nil, receivedAt: Date? = nil) {
        self.init(kind: envelope.message.kind, from: envelope.from, to: envelope.to, sendClock: envelope.clock,
                  recvClock: recvClock, sentAt: sentAt, receivedAt: receivedAt)
    }
}

/// A small live view of a run, for progress lines.
public struct RunProgress: Hashable, Codable, Sendable {
    public var decided: Int
    public var bought: Int
    public var failed: Int
    public var pending: Int
    /// Decided under a later epoch than the one that received them.
    public var takeovers: Int
    /// Results and payouts committed but not yet confirmed by their recipients.
    public var undelivered: Int
    public var epoch: Epoch
    public var leader: PeerID?
    public var electionInProgress: Bool
    public var elections: Int
}

/// The market database: one connection for this process, every run in it. An SQLite file
/// (WAL mode, a busy timeout, foreign keys on; every write an IMMEDIATE transaction) or a
/// database on a PostgreSQL server (`postgresql://…`; every write a transaction whose fenced
/// statements lock the run's leader row first). Several processes open the same database, each
/// with its own `MarketDatabase`; the SQL is the same for both engines.
public final class MarketDatabase: Sendable {
    /// What `--db` named: a file's path, or the server's URL as given.
    public let path: String
    public let location: DatabaseLocation
    public let durability: Durability
    public let isReadOnly: Bool
    let connection: any SQLConnection
    /// The file's GRDB queue, for what only SQLite has (its page check); nil on PostgreSQL.
    let queue: DatabaseQueue?

    /// How long a writer waits for another process's write lock before it gives up.
    public static let busyTimeout: TimeInterval = 10
    /// A peer's wait for the lock: its store calls run on its only event-loop thread, which
    /// must go on serving heartbeats, so it gives up at once and tries again later.
    public static let peerBusyTimeout: TimeInterval = 0.005

    private init(path: String, location: DatabaseLocation, durability: Durability, readOnly: Bool,
                 connection: any SQLConnection, queue: DatabaseQueue?) {
        self.path = path
        self.location = location
        self.durability = durability
        self.isReadOnly = readOnly
        self.connection = connection
        self.queue = queue
    }

    private convenience init(path: String, durability: Durability, readOnly: Bool, queue: DatabaseQueue) {
        self.init(path: path, location: .file(path: path), durability: durability, readOnly: readOnly,
                  connection: SQLiteConnection(queue: queue), queue: queue)
    }

    /// Which engine holds the history.
    public var engine: SQLEngine { connection.engine }

    /// Whether opening may create the file.
    public enum OpenMode: Sendable {
        /// Creates the file if it is missing: the supervisor's way, and the tools'.
        case createIfMissing
        /// The file must be there already: a peer never creates one, so a peer restarted after
        /// its database was moved away fails instead of starting an empty history at the old path.
        case existing
    }

    /// Opens and migrates the database `url` names: a path is an SQLite file, a
    /// `postgresql://` (or `postgres://`) URL a database on a server.
    public static func open(
        url: String, durability: Durability = .normal, busyTimeout: TimeInterval = busyTimeout,
        mode: OpenMode = .createIfMissing
    ) throws(StoreError) -> MarketDatabase {
        try open(path: url, durability: durability, busyTimeout: busyTimeout, mode: mode)
    }

    /// Opens and migrates the database at `path` (creating it if needed, unless `mode` says
    /// it must exist). A file that is not a market database, or one whose schema is newer than
    /// this binary, is refused untouched. A `postgresql://` URL opens that server's database
    /// instead (`DatabaseLocation`), with the same checks.
    /// The file is judged through SQLite only (and `stat`): this process may already hold
    /// connections to it, and closing any other descriptor of it would drop their locks.
    /// - Parameter busyTimeout: how long a statement waits for a lock held by another
    ///   connection before it fails with `StoreError.busy` (PostgreSQL's `lock_timeout`).
    /// - Parameter applicationName: how a server's `pg_stat_activity` names the session.
    public static func open(
        path: String, durability: Durability = .normal, busyTimeout: TimeInterval = busyTimeout,
        mode: OpenMode = .createIfMissing, applicationName: String = "market"
    ) throws(StoreError) -> MarketDatabase {
        if case .postgres(let address) = try DatabaseLocation.parse(path) {
            return try openServer(path, address, durability: durability, busyTimeout: busyTimeout, readOnly: false, mode: mode,
                                  applicationName: applicationName)
        }
        try DatabaseFile.vet(path, writable: true, mustExist: mode == .existing)
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = true
        // WAL is switched on below, only once the file is known to be ours.
        config.journalMode = .default
        config.label = "market"
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw openError(error, path: path)
        }
        do {
            // Look before writing anything: a foreign or newer file stays as it was.
            let state = try queue.read { db in try Migrations.state(SQLiteSession(db: db)) }
            try Migrations.refuse(state, path: path, mustExist: mode == .existing)
            if state == .market(version: Migrations.latest) {
                // Already in WAL mode and migrated (every peer of a run opens it so): nothing to
                // write, so no lock to wait for, even while another process holds it for long.
                let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
                if mode?.lowercased() == "wal" {
                    return MarketDatabase(path: path, durability: durability, readOnly: false, queue: queue)
                }
            }
            try queue.writeWithoutTransaction { db in
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                guard mode?.lowercased() == "wal" else { throw StoreError.cannotOpen(path: path, reason: "WAL mode refused") }
                try db.inTransaction(.immediate) {
                    try Migrations.migrate(SQLiteSession(db: db), path: path)
                    return .commit
                }
            }
        } catch {
            throw openError(error, path: path)
        }
        return MarketDatabase(path: path, durability: durability, readOnly: false, queue: queue)
    }

    /// Opens an existing database for reading only: never creates a file, never migrates.
    public static func openReadOnly(path: String) throws(StoreError) -> MarketDatabase {
        if case .postgres(let address) = try DatabaseLocation.parse(path) {
            return try openServer(path, address, durability: .normal, busyTimeout: busyTimeout, readOnly: true, mode: .existing)
        }
        try DatabaseFile.vet(path, writable: false, mustExist: true)
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        config.label = "market-readonly"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            let state = try queue.read { db in try Migrations.state(SQLiteSession(db: db)) }
            try Migrations.refuse(state, path: path, mustExist: true)
        } catch {
            throw openError(error, path: path)
        }
        return MarketDatabase(path: path, durability: .normal, readOnly: true, queue: queue)
    }

    /// A database on a PostgreSQL server: connected at once (so a wrong address or password is
    /// said before anything starts), refused untouched when it is not ours or newer, migrated
    /// under an advisory lock otherwise.
    static func openServer(
        _ url: String, _ address: PostgresAddress, durability: Durability, busyTimeout: TimeInterval, readOnly: Bool,
        mode: OpenMode, applicationName: String = "market"
    ) throws(StoreError) -> MarketDatabase {
        let connection = try PostgresServerConnection(
            address: address, lockTimeout: busyTimeout, durability: durability, readOnly: readOnly,
            applicationName: applicationName)
        do {
            let state = try connection.read { session in try Migrations.state(session) }
            try Migrations.refuse(state, path: address.display, mustExist: mode == .existing)
            if state != .market(version: Migrations.latest) {
                if readOnly { throw StoreError.notAMarketDatabase(path: address.display) }
                try connection.write { session in try Migrations.migrate(session, path: address.display) }
            }
        } catch {
            connection.close()
            throw PostgresServerConnection.wrap(error)
        }
        return MarketDatabase(path: url, location: .postgres(address), durability: durability, readOnly: readOnly,
                              connection: connection, queue: nil)
    }

    /// What to say of a database, in messages: the path, or the URL without its password.
    public var displayName: String { location.display }

    static func openError(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            // SQLite reads the header when the connection opens: a file it does not recognise
            // is foreign; one it recognises but cannot read through is damaged.
            case .SQLITE_NOTADB: return .notAMarketDatabase(path: path)
            case .SQLITE_CORRUPT: return .damaged(path: path, detail: error.message ?? "database disk image is malformed")
            case .SQLITE_CANTOPEN: return .cannotOpen(path: path, reason: DatabaseFile.cannotOpenReason(path))
            case .SQLITE_READONLY: return .cannotOpen(path: path, reason: "read-only (\(DatabaseFile.cannotOpenReason(path)))")
            case .SQLITE_BUSY: return .cannotOpen(path: path, reason: "locked by another process")
            default: break
            }
        }
        return StoreError.wrap(error, path: path)
    }

    // MARK: Transactions

    /// One write transaction, whatever the engine. SQLite: IMMEDIATE, so the write lock is
    /// taken at BEGIN and the fencing check and the writes it guards see the same database.
    /// PostgreSQL: READ COMMITTED, the fence being the leader row's lock (`lockedEpoch`).
    func write<T>(_ body: (any SQLSession) throws -> T) throws(StoreError) -> T {
        do {
            return try connection.write(body)
        } catch {
            throw wrap(error)
        }
    }

    /// One read transaction: one state of the database throughout.
    func read<T>(_ body: (any SQLSession) throws -> T) throws(StoreError) -> T {
        do {
            return try connection.read(body)
        } catch {
            throw wrap(error)
        }
    }

    /// One statement as a write transaction of its own (on PostgreSQL, one round trip).
    func writeStatement(sql: String, arguments: SQLArguments) throws(StoreError) -> [SQLRow] {
        do {
            return try connection.writeStatement(sql: sql, arguments: arguments)
        } catch {
            throw wrap(error)
        }
    }

    /// SQLite's own file, for what only SQLite has; nil on PostgreSQL.
    func readFile<T>(_ body: (Database) throws -> T) throws(StoreError) -> T? {
        guard let queue else { return nil }
        return try storeCall(path: path) { try queue.read { db in try body(db) } }
    }

    func wrap(_ error: any Error) -> StoreError {
        engine == .postgresql ? PostgresServerConnection.wrap(error) : StoreError.wrap(error, path: path)
    }

    // MARK: Runs

    /// Starts a run: its `runs` row (running), a `peers` row per peer, a `down_at_start` fault
    /// for each peer down from the start, and the leader record at epoch 0.
    /// The calling process is the run's supervisor. The file is checked first (a damaged one is
    /// refused before anything is appended), and runs whose supervisor is gone are marked.
    public func beginRun(scenario: String, peerCount: Int, seed: UInt64, peers: [PeerSpec], inFlight: Int = 1) throws(StoreError) -> Int64 {
        try verifyIntegrity()
        try markAbandonedRuns()
        return try write { db in
            let now = Timestamp.now()
            guard let runID = try Int64.fetchOne(
                db, sql: """
                    INSERT INTO runs(scenario, peer_count, seed, started_at, status, supervisor_pid, in_flight)
                    VALUES (?, ?, ?, ?, 'running', ?, ?) RETURNING run_id
                    """,
                arguments: [scenario, peerCount, Int64(bitPattern: seed), now, getpid(), inFlight]) else {
                throw StoreError.sqlite("the new run got no id")
            }
            for peer in peers {
                try db.execute(
                    sql: "INSERT INTO peers(run_id, peer_id, role, product, down_at_start) VALUES (?, ?, ?, ?, ?)",
                    arguments: [runID, peer.id, peer.role.rawValue, peer.product.rawValue, peer.downAtStart])
                if peer.downAtStart {
                    try db.execute(
                        sql: "INSERT INTO faults(run_id, peer_id, kind, at) VALUES (?, ?, ?, ?)",
                        arguments: [runID, peer.id, FaultKind.downAtStart, now])
                }
            }
            try db.execute(
                sql: "INSERT INTO leader(run_id, epoch, leader_id, election_in_progress, updated_at) VALUES (?, 0, NULL, 0, ?)",
                arguments: [runID, now])
            return runID
        }
    }

    /// The trading-post store of one run, for one peer process.
    public func store(runID: Int64) -> SQLiteStore {
        SQLiteStore(database: self, runID: runID)
    }

    /// Records a fault. A `down_at_start` already recorded (by `beginRun`) is not doubled.
    public func recordFault(runID: Int64, peer: PeerID, kind: FaultKind, at date: Date = Date()) throws(StoreError) {
        try write { db in
            if kind == .downAtStart, try Bool.fetchOne(
                db, sql: "SELECT count(*) > 0 FROM faults WHERE run_id = ? AND peer_id = ? AND kind = ?",
                arguments: [runID, peer, FaultKind.downAtStart]) == true {
                return
            }
            try db.execute(sql: "INSERT INTO faults(run_id, peer_id, kind, at) VALUES (?, ?, ?, ?)",
                           arguments: [runID, peer, kind, Timestamp.format(date)])
        }
    }

    public func recordPID(runID: Int64, peer: PeerID, pid: Int32) throws(StoreError) {
        try write { db in
            let changed = try db.execute(sql: "UPDATE peers SET pid = ? WHERE run_id = ? AND peer_id = ?", arguments: [pid, runID, peer])
            guard changed == 1 else { throw StoreError.noSuchPeer(run: runID, peer: peer) }
        }
    }

    /// The peer's own ledger and final Lamport clock, written when it stops, with the envelopes
    /// and frames it wrote to its neighbours.
    public func recordLedger(
        runID: Int64, peer: PeerID, ledger: Ledger, finalClock: UInt64, wrote: (envelopes: Int, frames: Int)? = nil
    ) throws(StoreError) {
        try write { db in
            let changed = try db.execute(
                sql: """
                    UPDATE peers SET bought = ?, sold = ?, cash_cents = ?, final_clock = ?, envelopes_written = ?, frames_written = ?
                    WHERE run_id = ? AND peer_id = ?
                    """,
                arguments: [ledger.bought, ledger.sold, ledger.cashCents, Int64(clamping: finalClock),
                            wrote?.envelopes, wrote?.frames, runID, peer])
            guard changed == 1 else { throw StoreError.noSuchPeer(run: runID, peer: peer) }
        }
    }

    /// Ends the run. Its peers are gone, so no election is in progress any more: one that the
    /// end of the run cut short, or whose noting peer crashed and never came back to withdraw it.
    public func finishRun(runID: Int64, status: RunStatus) throws(StoreError) {
        try write { db in
            let now = Timestamp.now()
            let changed = try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
                                         arguments: [status.rawValue, now, runID])
            guard changed == 1 else { throw StoreError.noSuchRun(runID) }
            try db.execute(sql: """
                UPDATE leader SET election_in_progress = 0, election_started_at = NULL, election_initiator_id = NULL,
                    election_reason = NULL, updated_at = ?
                WHERE run_id = ? AND election_in_progress = 1
                """, arguments: [now, runID])
        }
    }

    /// Appends traced messages (`--trace`), all in one transaction.
    /// On PostgreSQL in one statement, so one round trip however many there are (a statement
    /// each made `--trace` cost a run a round trip per message).
    public func recordMessages(runID: Int64, _ messages: [TracedMessage]) throws(StoreError) {
        guard !messages.isEmpty else { return }
        if engine == .postgresql {
            _ = try writeStatement(sql: """
                INSERT INTO messages(run_id, kind, from_id, to_id, send_clock, recv_clock, sent_at, received_at)
                SELECT ?, m->>'kind', (m->>'from_id')::bigint, (m->>'to_id')::bigint, (m->>'send_clock')::bigint,
                       (m->>'recv_clock')::bigint, m->>'sent_at', m->>'received_at'
                FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS x(m, n)
                ORDER BY x.n
                """, arguments: [runID, try ServerJSON.text(messages.map(ServerJSON.Message.init))])
            return
        }
        try write { db in
            for message in messages {
                try db.execute(sql: """
                    INSERT INTO messages(run_id, kind, from_id, to_id, send_clock, recv_clock, sent_at, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                    runID, message.kind, message.from, message.to, Int64(clamping: message.sendClock),
                    message.recvClock.map { Int64(clamping: $0) }, message.sentAt.map(Timestamp.format),
                    message.receivedAt.map(Timestamp.format),
                ])
            }
        }
    }

    /// Counts for a live progress line.
    public func progress(runID: Int64) throws(StoreError) -> RunProgress {
        try read { db in
            guard let leader = try LeaderRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM leader WHERE run_id = ?", arguments: [runID]).first else {
                throw StoreError.noSuchRun(runID)
            }
            let counts = try RequestCounts(db, runID: runID)
            let undelivered = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM outbox WHERE run_id = ? AND delivered = 0", arguments: [runID]) ?? 0
            let elections = try Int.fetchOne(db, sql: "SELECT count(*) FROM elections WHERE run_id = ?", arguments: [runID]) ?? 0
            return RunProgress(
                decided: counts.decided, bought: counts[.bought], failed: counts[.failed], pending: counts[.pending],
                takeovers: counts.takeovers, undelivered: undelivered, epoch: leader.epoch, leader: leader.leader,
                electionInProgress: leader.electionInProgress, elections: elections)
        }
    }

    /// The newest run, or nil if there is none.
    public func latestRunID() throws(StoreError) -> Int64? {
        try read { db in try Int64.fetchOne(db, sql: "SELECT max(run_id) FROM runs") }
    }

    /// The schema version recorded in the file.
    public func schemaVersion() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_migrations") ?? 0 }
    }
}
