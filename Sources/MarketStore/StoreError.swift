import Foundation
import GRDB
import MarketCore

/// How hard a commit is pressed to disk.
public enum Durability: String, CaseIterable, Sendable {
    /// `synchronous=NORMAL` in WAL mode: a committed transaction survives the crash or kill of
    /// any process; the last commits before a power loss or an OS crash may be rolled back
    /// (never torn: the database stays consistent).
    case normal
    /// `synchronous=FULL`: every commit is fsynced to the WAL before it returns, so it
    /// survives a power loss or an OS crash too.
    case full
}

/// What can go wrong with the database, each said in one line.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The path names no file (read-only opening never creates one).
    case noDatabase(path: String)
    /// The file exists but is not a market database (not SQLite, or SQLite of something else).
    case notAMarketDatabase(path: String)
    /// SQLite's header is there but the pages behind it are not what SQLite wrote: the file was
    /// overwritten in part or truncated. Nothing is written to it.
    case damaged(path: String, detail: String)
    /// The database was written by a newer `market`: its schema is ahead of this binary's.
    case newerSchema(path: String, found: Int, supported: Int)
    case cannotOpen(path: String, reason: String)
    /// A `postgresql://` URL that libpq's URL form does not allow (shown without its password).
    case badDatabaseURL(url: String, reason: String)
    case noRuns(path: String)
    case noSuchRun(Int64)
    case noSuchPeer(run: Int64, peer: PeerID)
    /// A decision batch the store refuses whole (`BatchRefusal`): nothing of it was written.
    case refused(BatchRefusal)
    /// A column holds something the history cannot hold (hand-edited, or another program's).
    case malformed(column: String, value: String)
    /// SQLite said no; its message, on one line.
    case sqlite(String)
    /// Another connection held the lock past the busy timeout (SQLITE_BUSY or SQLITE_LOCKED):
    /// trying again later may succeed. SQLite's message, on one line.
    case busy(String)

    public var description: String {
        switch self {
        case .noDatabase(let path): "no database at \(path)"
        case .notAMarketDatabase(let path): "\(path) is not a market database"
        case .damaged(let path, let detail):
            "\(path) is damaged (\(detail.split(whereSeparator: \.isNewline).joined(separator: " "))); nothing was written to it: restore it from a copy or use another file"
        case .newerSchema(let path, let found, let supported):
            "\(path) has schema version \(found), newer than this market binary supports (\(supported)); use a newer market"
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .badDatabaseURL(let url, let reason): "malformed database URL \(url): \(reason)"
        case .noRuns(let path): "\(path) holds no runs yet"
        case .noSuchRun(let id): "no run \(id) in the database"
        case .noSuchPeer(let run, let peer): "no peer P\(peer) in run \(run)"
        case .refused(let refusal): refusal.description
        case .malformed(let column, let value): "malformed history: column \(column) holds \(value)"
        case .sqlite(let message), .busy(let message): "database error: \(message)"
        }
    }

    public var errorDescription: String? { description }

    /// Turns whatever a database call threw into a one-line `StoreError`; `path` names the file
    /// in it when the caller knows it.
    static func wrap(_ error: any Error, path: String? = nil) -> StoreError {
        if let error = error as? StoreError { return error }
        if let refusal = error as? BatchRefusal { return .refused(refusal) }
        if let error = error as? RowDecodingError { return malformed(error) }
        if let error = error as? DatabaseError {
            let message = (error.message ?? "\(error.resultCode)").split(whereSeparator: \.isNewline).joined(separator: " ")
            // `resultCode` is the primary code: SQLITE_BUSY_SNAPSHOT and the like are busy too.
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED: return .busy(message)
            case .SQLITE_CORRUPT, .SQLITE_NOTADB: return .damaged(path: path ?? "the database", detail: message)
            default: return .sqlite(message)
            }
        }
        return .sqlite(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))
    }

    /// A record could not be read from its row. GRDB keeps the column and the value in its
    /// message only: `could not decode Int from database value "lots" - column: "quantity", …`.
    static func malformed(_ error: RowDecodingError) -> StoreError {
        let text = String(describing: error)
        let column = text.firstMatch(of: #/column: "([^"]*)"/#).map { String($0.1) } ?? "?"
        let value = text.firstMatch(of: #/database value (.*?) - /#).map { String($0.1) } ?? "NULL"
        return .malformed(column: column, value: value.split(whereSeparator: \.isNewline).joined(separator: " "))
    }
}

/// Runs `body`, turning any error into a `StoreError`.
@inline(__always)
func storeCall<T>(path: String? = nil, _ body: () throws -> T) throws(StoreError) -> T {
    do {
        return try body()
    } catch {
        throw StoreError.wrap(error, path: path)
    }
}

extension Row {
    /// The column's value as `T`; a one-line `StoreError.malformed` instead of a crash when the
    /// column holds NULL where a value belongs, or a value of another type (a hand-edited row).
    func get<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        let value: DatabaseValue = self[column] ?? .null
        guard let converted = T.fromDatabaseValue(value) else {
            throw StoreError.malformed(column: column, value: value.isNull ? "NULL" : "\(value)")
        }
        return converted
    }
}
