import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// PostgreSQL's floors for `market bench`, through the store's own client: a round trip is one
/// `SELECT 1` through a `PostgresSession`, a commit is one row written through the transaction
/// path of every store write, with its session settings, so `durability` sets
/// `synchronous_commit` exactly as it does for a run.
public final class PostgresFloor: @unchecked Sendable {
    private let store: PostgresServerConnection
    private let group: MultiThreadedEventLoopGroup
    private let plain: PostgresConnection
    private let logger: Logger
    private let table = "market_bench_floor_\(UInt32.random(in: .min ... .max))"
    public var durability: Durability { store.durability }

    /// Connects twice to the database `url` names and makes a scratch table there (`close()` drops it).
    public init(url: String, durability: Durability) throws(StoreError) {
        guard case .postgres(let address) = try DatabaseLocation.parse(url) else {
            throw .cannotOpen(path: url, reason: "not a postgresql:// URL")
        }
        store = try PostgresServerConnection(address: address, lockTimeout: MarketDatabase.busyTimeout,
                                             durability: durability, readOnly: false)
        var logger = Logger(label: "market.bench.postgres")
        logger.logLevel = .critical
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            plain = try PostgresConnection.connect(on: group.next(), configuration: try address.configuration(), id: 2,
                                                   logger: logger).blockingResult()
        } catch {
            store.close()
            try? group.syncShutdownGracefully()
            throw PostgresServerConnection.openError(error, address: address)
        }
        do {
            try store.write { session in try session.execute(sql: "CREATE TABLE \(table) (id bigserial PRIMARY KEY, x bigint)") }
        } catch {
            close()
            throw PostgresServerConnection.wrap(error)
        }
    }

    /// One round trip: the query goes out and its one row comes back.
    public func roundTrip() throws(StoreError) {
        do {
            _ = try PostgresSession(connection: plain, logger: logger, roundTrips: RoundTripCount()).rows(sql: "SELECT 1")
        } catch {
            throw PostgresServerConnection.wrap(error)
        }
    }

    /// One transaction inserting one row, committed as the store commits.
    public func commitOneRow(_ value: Int) throws(StoreError) {
        do {
            try store.write { session in
                try session.execute(sql: "INSERT INTO \(table)(x) VALUES (?)", arguments: [Int64(value)])
            }
        } catch {
            throw PostgresServerConnection.wrap(error)
        }
    }

    public func close() {
        _ = try? store.write { session in try session.execute(sql: "DROP TABLE IF EXISTS \(table)") }
        store.close()
        try? plain.close().blockingResult()
        try? group.syncShutdownGracefully()
    }
}
