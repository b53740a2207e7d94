import Foundation
import GRDB
import MarketCore

public enum RunStatus: String, CaseIterable, Codable, Sendable {
    case running, completed, failed, interrupted
}

public enum FaultKind: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    case sick, crash, resign, recover
    case downAtStart = "down_at_start"
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

/// The market database file: one connection for this process (SQLite in WAL mode, a busy
/// timeout, foreign keys on), every run in it. Several processes open the same file, each
/// with its own `MarketDatabase`; every write is an IMMEDIATE transaction.
public final class MarketDatabase: Sendable {
    public let path: String
    public let durability: Durability
    public let isReadOnly: Bool
    let queue: DatabaseQueue

    /// How long a writer waits for another process's write lock before it gives up.
    public static let busyTimeout: TimeInterval = 10
    /// A peer's wait for the lock: its store calls run on its only event-loop thread, which
    /// must go on serving heartbeats, so it gives up at once and tries again later.
    public static let peerBusyTimeout: TimeInterval = 0.005

    private init(path: String, durability: Durability, readOnly: Bool, queue: DatabaseQueue) {
        self.path = path
        self.durability = durability
        self.isReadOnly = readOnly
        self.queue = queue
    }

    /// Whether opening may create the file.
    public enum OpenMode: Sendable {
        /// Creates the file if it is missing: the supervisor's way, and the tools'.
        case createIfMissing
        /// The file must be there already: a peer never creates one, so a peer restarted after
        /// its database was moved away fails instead of starting an empty history at the old path.
        case existing
    }

    /// Opens and migrates the database at `path` (creating it if needed, unless `mode` says
    /// it must exist). A file that is not a market database, or one whose schema is newer than
    /// this binary, is refused untouched.
    /// The file is judged through SQLite only (and `stat`): this process may already hold
    /// connections to it, and closing any other descriptor of it would drop their locks.
    /// - Parameter busyTimeout: how long a statement waits for a lock held by another
    ///   connection before it fails with `StoreError.busy`.
    public static func open(
        path: String, durability: Durability = .normal, busyTimeout: TimeInterval = busyTimeout,
        mode: OpenMode = .createIfMissing
    ) throws(StoreError) -> MarketDatabase {
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
            let state = try queue.read { db in try Migrations.state(db) }
            switch state {
            case .foreign: throw StoreError.notAMarketDatabase(path: path)
            case .empty where mode == .existing: throw StoreError.notAMarketDatabase(path: path)
            case .market(let version) where version > Migrations.latest:
                throw StoreError.newerSchema(path: path, found: version, supported: Migrations.latest)
            case .market(let version) where version == Migrations.latest:
                // Already in WAL mode and migrated (every peer of a run opens it so): nothing to
                // write, so no lock to wait for, even while another process holds it for long.
                let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
                if mode?.lowercased() == "wal" {
                    return MarketDatabase(path: path, durability: durability, readOnly: false, queue: queue)
                }
            default: break
            }
            try queue.writeWithoutTransaction { db in
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                guard mode?.lowercased() == "wal" else { throw StoreError.cannotOpen(path: path, reason: "WAL mode refused") }
                try db.inTransaction(.immediate) {
                    try Migrations.migrate(db, path: path)
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
        try DatabaseFile.vet(path, writable: false, mustExist: true)
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(busyTimeout)
        config.label = "market-readonly"
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            let state = try queue.read { db in try Migrations.state(db) }
            switch state {
            case .empty, .foreign: throw StoreError.notAMarketDatabase(path: path)
            case .market(let version) where version > Migrations.latest:
                throw StoreError.newerSchema(path: path, found: version, supported: Migrations.latest)
            case .market: break
            }
        } catch {
            throw openError(error, path: path)
        }
        return MarketDatabase(path: path, durability: .normal, readOnly: true, queue: queue)
    }

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

    /// One IMMEDIATE transaction: the write lock is taken at BEGIN, so the fencing check and
    /// the writes it guards see the same database.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try storeCall(path: path) {
            try queue.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try storeCall(path: path) { try queue.read { db in try body(db) } }
    }

    // MARK: Runs

    /// Starts a run: its `runs` row (running), a `peers` row per peer, a `down_at_start` fault
    /// for each peer down from the start, and the leader record at epoch 0.
    /// The calling process is the run's supervisor. The file is checked first (a damaged one is
    /// refused before anything is appended), and runs whose supervisor is gone are marked.
    public func beginRun(scenario: String, peerCount: Int, seed: UInt64, peers: [PeerSpec]) throws(StoreError) -> Int64 {
        try verifyIntegrity()
        try markAbandonedRuns()
        return try write { db in
            let now = Timestamp.now()
            try db.execute(
                sql: """
                    INSERT INTO runs(scenario, peer_count, seed, started_at, status, supervisor_pid)
                    VALUES (?, ?, ?, ?, 'running', ?)
                    """,
                arguments: [scenario, peerCount, Int64(bitPattern: seed), now, getpid()])
            let runID = db.lastInsertedRowID
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
            try db.execute(sql: "UPDATE peers SET pid = ? WHERE run_id = ? AND peer_id = ?", arguments: [pid, runID, peer])
            guard db.changesCount == 1 else { throw StoreError.noSuchPeer(run: runID, peer: peer) }
        }
    }

    /// The peer's own ledger and final Lamport clock, written when it stops.
    public func recordLedger(runID: Int64, peer: PeerID, ledger: Ledger, finalClock: UInt64) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "UPDATE peers SET bought = ?, sold = ?, cash_cents = ?, final_clock = ? WHERE run_id = ? AND peer_id = ?",
                arguments: [ledger.bought, ledger.sold, ledger.cashCents, Int64(clamping: finalClock), runID, peer])
            guard db.changesCount == 1 else { throw StoreError.noSuchPeer(run: runID, peer: peer) }
        }
    }

    /// Ends the run. Its peers are gone, so no election is in progress any more: one that a
    /// sitting trader answered (no claim ends those) or that the end of the run cut short.
    public func finishRun(runID: Int64, status: RunStatus) throws(StoreError) {
        try write { db in
            let now = Timestamp.now()
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
                           arguments: [status.rawValue, now, runID])
            guard db.changesCount == 1 else { throw StoreError.noSuchRun(runID) }
            try db.execute(sql: """
                UPDATE leader SET election_in_progress = 0, election_started_at = NULL, election_initiator_id = NULL,
                    election_reason = NULL, updated_at = ?
                WHERE run_id = ? AND election_in_progress = 1
                """, arguments: [now, runID])
        }
    }

    /// Appends traced messages (`--trace`), all in one transaction.
    public func recordMessages(runID: Int64, _ messages: [TracedMessage]) throws(StoreError) {
        guard !messages.isEmpty else { return }
        try write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO messages(run_id, kind, from_id, to_id, send_clock, recv_clock, sent_at, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for message in messages {
                try statement.execute(arguments: [
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
