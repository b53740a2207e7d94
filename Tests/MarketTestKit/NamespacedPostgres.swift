import Foundation
import MarketPostgresServer

extension NamespacedHosts {
    /// A private PostgreSQL server inside this set's control namespace, listening on
    /// `controlAddress` (as a shared store on a network would) and letting the set's hosts in;
    /// made on first use and removed with the test process, like the set itself. Its socket is
    /// in the machine's file system, so the test process reaches it from outside the set.
    public func postgres() throws -> PostgresServer {
        try Self.serverLock.withLock {
            if let made = Self.servers[prefix] { return try made.get() }
            let made = Result {
                try PostgresServer(network: PostgresNetwork(namespace: controlNamespace, address: Self.controlAddress,
                                                            clients: "10.77.0.0/24"))
            }
            Self.servers[prefix] = made
            return try made.get()
        }
    }

    private static let serverLock = NSLock()
    private nonisolated(unsafe) static var servers: [String: Result<PostgresServer, any Error>] = [:]
}
