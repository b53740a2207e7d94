import Foundation

/// Where the market's history lives: a path is an SQLite file; a `postgresql://` or
/// `postgres://` URL is a database on a PostgreSQL server.
public enum DatabaseLocation: Equatable, Sendable {
    case file(path: String)
    case postgres(PostgresAddress)

    /// Judges `text` as `--db` gives it. A URL is parsed as libpq parses its URL form; a
    /// malformed one is `StoreError.badDatabaseURL`, in one line.
    public static func parse(
        _ text: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StoreError) -> DatabaseLocation {
        let lowered = text.lowercased()
        guard lowered.hasPrefix("postgresql://") || lowered.hasPrefix("postgres://") else { return .file(path: text) }
        return .postgres(try PostgresAddress(url: text, environment: environment))
    }

    /// Said in messages: the path, or the URL without its password.
    public var display: String {
        switch self {
        case .file(let path): path
        case .postgres(let address): address.display
        }
    }
}
