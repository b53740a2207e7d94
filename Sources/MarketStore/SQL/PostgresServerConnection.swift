import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// PostgreSQL through postgres-nio: one connection, on an event loop of its own, used
/// synchronously. Each call blocks the CALLING thread until the server answers, so it must
/// never be called from that loop (it would wait on itself; `write` and `read` refuse).
///
/// Isolation: writes run at READ COMMITTED. Every fenced write first takes the run's leader row
/// with `SELECT epoch … FOR UPDATE`, and every change of epoch updates that same row, so while
/// a transaction holds the lock no other trader can claim the next epoch or write a fenced row;
/// fenced writes are serialised by that one lock. READ COMMITTED takes a fresh snapshot for
/// each statement after the lock is granted, so the statements after the check see every
/// commit of the previous holder. REPEATABLE READ would fix the snapshot at the locking
/// statement and fail with a serialisation error (40001) whenever the row changed while it
/// waited: every contended write would become a retry, with no safety gained.
/// Reads run at REPEATABLE READ, READ ONLY: one snapshot for all their statements, as an
/// SQLite read transaction sees.
final class PostgresServerConnection: SQLConnection, @unchecked Sendable {
    let address: PostgresAddress
    let lockTimeout: TimeInterval
    let durability: Durability
    let readOnly: Bool
    /// What `pg_stat_activity` shows for this session (`market P3 run 7` for a peer), so an
    /// operator or a test can tell one peer's connection from another's.
    let applicationName: String
    var engine: SQLEngine { .postgresql }

    /// How long a transaction may sit idle (its client silent between statements) before the
    /// server ends the session and so releases its locks. A trader stopped by SIGSTOP in the
    /// middle of a transaction would otherwise hold the run's leader row for ever, and no new
    /// trader could claim an epoch. A live transaction of ours is idle only between two
    /// statements of one store call: microseconds, or a scheduling stall of some hundreds of
    /// milliseconds on a loaded 2-core machine. Two seconds is far above that, and about two
    /// request timeouts: a takeover waits at most that long for a stopped trader's lock.
    static let idleInTransactionTimeout = "2s"

    private let group: MultiThreadedEventLoopGroup
    private let lock = NSLock()
    /// Every statement sent in a store call (BEGIN and COMMIT too): the cost the server
    /// functions of migration 0006 cut to one a write.
    let roundTrips = RoundTripCount()
    private var connection: PostgresConnection?
    private let logger: Logger

    /// Connects at once, so a bad address, an unreachable server or a wrong password is said
    /// before anything starts.
    /// - Parameter lockTimeout: how long a statement waits for a row lock another session holds
    ///   (the `busyTimeout` of `MarketDatabase.open`): past it, `StoreError.busy`.
    init(address: PostgresAddress, lockTimeout: TimeInterval, durability: Durability, readOnly: Bool,
         applicationName: String = "market") throws(StoreError) {
        self.address = address
        self.applicationName = applicationName.filter { $0 != "'" && $0 != "\\" }
        self.readOnly = readOnly
        self.lockTimeout = lockTimeout
        self.durability = durability
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var logger = Logger(label: "market.postgres")
        logger.logLevel = .critical
        self.logger = logger
        do {
            connection = try connect()
        } catch {
            group.shutdownBlocking()
            throw Self.openError(error, address: address)
        }
    }

    deinit {
        close()
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if let connection {
            try? connection.close().blockingResult()
            self.connection = nil
        }
        group.shutdownBlocking()
    }

    private func connect() throws -> PostgresConnection {
        let connection = try PostgresConnection.connect(
            on: group.next(), configuration: try address.configuration(), id: 1, logger: logger
        ).blockingResult()
        let milliseconds = max(1, Int((lockTimeout * 1000).rounded()))
        // One statement a query: postgres-nio sends every query through the extended protocol.
        var settings = [
            "SET lock_timeout = '\(milliseconds)ms'",
            "SET idle_in_transaction_session_timeout = '\(Self.idleInTransactionTimeout)'",
            "SET application_name = '\(applicationName)'",
        ]
        // Durability as SQLite's synchronous: normal survives any client's crash (the server holds
        // the commit) but may lose the last commits to a server or OS crash, full waits for the flush.
        settings.append("SET synchronous_commit = \(durability == .full ? "on" : "off")")
        if readOnly { settings.append("SET default_transaction_read_only = on") }
        do {
            for setting in settings { _ = try connection.whileOpen { connection.simpleQuery(setting) } }
        } catch {
            try? connection.close().blockingResult()
            throw error
        }
        return connection
    }

    /// The open connection; a new one when the server ended the last (the idle timeout, a
    /// restart): the next transaction reads the leader row afresh, so a trader that was
    /// stopped learns it was deposed instead of failing on a dead socket.
    private func current() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let fresh = try connect()
        connection = fresh
        return fresh
    }

    func write<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", body)
    }

    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// Outside BEGIN, the server runs the statement as a transaction of its own, at the
    /// session's default isolation (READ COMMITTED): one round trip.
    func writeStatement(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        lock.lock()
        defer { lock.unlock() }
        let session = try session()
        do {
            return try session.rows(sql: sql, arguments: arguments)
        } catch {
            throw Self.wrap(error)
        }
    }

    /// A session on the open connection; the caller holds `lock`.
    private func session() throws -> PostgresSession {
        let connection: PostgresConnection
        do {
            connection = try current()
        } catch {
            // A server that cannot be reached again is not a lost connection to retry: the
            // caller fails with the cause, within a store call.
            switch Self.wrap(error) {
            case .busy(let message): throw StoreError.sqlite(message)
            case let other: throw other
            }
        }
        guard !connection.eventLoop.inEventLoop else {
            throw StoreError.sqlite("a PostgreSQL store call was made on its own connection's event loop")
        }
        return PostgresSession(connection: connection, logger: logger, roundTrips: roundTrips)
    }

    private func transaction<T>(begin: String, _ body: (any SQLSession) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let session = try session()
        let connection = session.connection
        do {
            roundTrips.add()
            _ = try connection.whileOpen { connection.simpleQuery(begin) }
            let result = try body(session)
            roundTrips.add()
            _ = try connection.whileOpen { connection.simpleQuery("COMMIT") }
            return result
        } catch {
            _ = try? connection.whileOpen { connection.simpleQuery("ROLLBACK") }
            throw Self.wrap(error)
        }
    }

    // MARK: Errors

    /// One line for a PostgreSQL error: lock waits and serialisation failures are `.busy`
    /// (trying again may succeed), the rest the server's message.
    /// A session the server ended (`pg_terminate_backend`, a shutdown, a dropped link) is
    /// `.busy` too: its transaction was rolled back, and the next call connects afresh, so the
    /// trader goes on instead of failing the run. Doing a request again is safe: one that did
    /// commit is found done (request and deposit ids, the decided check) or refused by the fence.
    static func wrap(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is PostgresConnectionClosed { return .busy("the connection to the server was lost") }
        // BEGIN, COMMIT and ROLLBACK go through postgres-nio's simple queries, whose errors are
        // its older `PostgresError`: a terminated backend there is the same lost session.
        if let legacy = error as? PostgresError {
            switch legacy {
            case .connectionClosed: return .busy("the connection to the server was lost")
            case .server(let server):
                let state = server.fields[.sqlState] ?? ""
                if ["57P01", "57P02", "40001", "40P01", "55P03", "57014"].contains(state) || state.hasPrefix("08") {
                    return .busy(server.fields[.message] ?? legacy.description)
                }
            case .protocol: break
            }
            return .sqlite(legacy.description)
        }
        guard let error = error as? PSQLError else { return StoreError.wrap(error) }
        if let info = error.serverInfo {
            return serverError(state: info[.sqlState] ?? "", message: info[.message] ?? "server error", detail: info[.detail])
        }
        // A backend ended mid-query can come back wrapped (its FATAL inside another error).
        if let inner = error.underlying as? PSQLError { return wrap(inner) }
        // A connection reset in the middle of a query is the same lost session (the server ended
        // the backend while the statement was on its way). Where connecting fails instead, the
        // caller turns this into a failure: a server that cannot be reached is not retried.
        if error.code == .serverClosedConnection || error.code == .uncleanShutdown || error.code == .connectionError {
            return .busy(describe(error))
        }
        return .sqlite(describe(error))
    }

    /// An error the server raised, by its SQLSTATE: lock waits and serialisation failures are
    /// `.busy` (trying again may succeed), a terminated session too, the rest its message.
    static func serverError(state: String, message: String, detail: String?) -> StoreError {
        switch state {
        case StockRefusal.sqlState: return StockRefusal.refusal(detail: detail) ?? .sqlite(message)
        // lock_not_available, serialization_failure, deadlock_detected, query_canceled
        case "55P03", "40001", "40P01", "57014": return .busy(message)
        // admin_shutdown (a terminated backend), crash_shutdown
        case "57P01", "57P02": return .busy(message)
        default: return state.hasPrefix("08") ? .busy(message) : .sqlite(message)
        }
    }

    static func openError(_ error: any Error, address: PostgresAddress) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                switch info[.sqlState] {
                case "3D000": return .cannotOpen(path: address.display, reason: "no database \(address.database) on the server")
                // Named as the server's words: "the database system is shutting down" alone does not say who.
                default: return .cannotOpen(path: address.display, reason: info[.message].map { "refused by the server: \($0)" } ?? "refused by the server")
                }
            }
            return .cannotOpen(path: address.display, reason: describe(error))
        }
        return .cannotOpen(path: address.display, reason: oneLine(String(describing: error)))
    }

    /// What went wrong with the connection, without postgres-nio's multi-line dump.
    static func describe(_ error: PSQLError) -> String {
        switch error.code {
        case .connectionError:
            if let underlying = error.underlying { return "cannot reach the server: \(reason(underlying))" }
            return "cannot reach the server"
        case .serverClosedConnection, .clientClosedConnection: return "the connection to the server was closed"
        case .authMechanismRequiresPassword: return "the server asks for a password and none was given (URL, PGPASSWORD or ~/.pgpass)"
        case .sslUnsupported: return "the server does not support SSL (sslmode)"
        default:
            if let underlying = error.underlying { return oneLine(String(describing: underlying)) }
            return error.code.description
        }
    }

    /// Why a connection could not be made, as the system says it ("Connection refused"), not
    /// SwiftNIO's dump of every address it tried.
    static func reason(_ error: any Error) -> String {
        if let failure = error as? NIOConnectionError {
            if let dns = failure.dnsAError ?? failure.dnsAAAAError { return "cannot resolve \(failure.host) (\(oneLine("\(dns)")))" }
            if let first = failure.connectionErrors.first { return reason(first.error) }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return oneLine(String(describing: error))
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
