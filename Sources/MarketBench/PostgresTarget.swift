import Foundation
import MarketPostgresServer
import MarketStore

/// Where the bench's PostgreSQL plan runs: a private server it starts itself (a fresh database
/// for each run, all of it removed at the end, or by the server's watchdog if the bench dies),
/// or a server the user names (every run goes into that one database, and each is read back
/// as its newest run).
public final class PostgresTarget: @unchecked Sendable {
    /// What the figures were measured on, without a password.
    public let place: String
    private let server: PostgresServer?
    private let url: String?

    /// Why there is no PostgreSQL plan in this run, or where it runs.
    public enum Start {
        case started(PostgresTarget)
        case unavailable(reason: String)
    }

    private init(place: String, server: PostgresServer?, url: String?) {
        self.place = place
        self.server = server
        self.url = url
    }

    /// A private server where PostgreSQL is installed; `.unavailable` with the reason where it is not.
    /// A server that is installed but fails to start is an error, not a skip.
    public static func startPrivate() throws -> Start {
        do {
            let server = try PostgresServer()
            return .started(PostgresTarget(place: "a private server started by the bench (\(server.directory))",
                                           server: server, url: nil))
        } catch let unavailable as PostgresUnavailable {
            return .unavailable(reason: unavailable.reason)
        }
    }

    /// The server `url` names, connected to once now so a wrong URL is said before anything is measured.
    public static func named(_ url: String) throws(StoreError) -> PostgresTarget {
        guard case .postgres(let address) = try DatabaseLocation.parse(url) else {
            throw .badDatabaseURL(url: url, reason: "--postgres takes a postgresql:// or postgres:// URL")
        }
        try PostgresFloor(url: url, durability: .normal).close()
        return PostgresTarget(place: address.display, server: nil, url: url)
    }

    /// A database for one run (or the floors): a fresh one on the private server, else the named one.
    public func freshDatabase(_ purpose: String) throws -> String {
        if let server { return try server.createDatabase(purpose) }
        return url ?? ""
    }

    /// Stops the private server and removes its directory; a named server is left as it was.
    public func remove() {
        server?.remove()
    }
}
