import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection inside one of its transactions. Every call blocks the calling
/// thread until the server answers; the connection's own event loop is never the caller.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
    let roundTrips: RoundTripCount
    var engine: SQLEngine { .postgresql }

    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        let result = try run(sql, arguments)
        return result.metadata.rows ?? 0
    }

    func rows(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        let result = try run(sql, arguments)
        guard let first = result.rows.first else { return [] }
        let columns = first.map(\.columnName)
        return try result.rows.map { row in
            SQLRow(columns: columns, values: try row.map(Self.value))
        }
    }

    /// Statements separated by semicolons, with no arguments (a migration file), one query
    /// each: postgres-nio sends every query as a prepared statement, which holds one.
    func executeScript(_ sql: String) throws {
        for statement in Self.statements(sql) { _ = try execute(sql: statement, arguments: []) }
    }

    /// `sql` cut at each semicolon outside quotes, dollar quotes (`$$ … $$`, `$body$ … $body$`:
    /// a function's body holds semicolons of its own) and `--` comments; empty pieces dropped.
    static func statements(_ sql: String) -> [String] {
        let characters = Array(sql)
        var statements: [String] = []
        var current = ""
        var index = 0
        func append(upTo end: Int) {
            current.append(contentsOf: characters[index..<end])
            index = end
        }
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "-" where index + 1 < characters.count && characters[index + 1] == "-":
                while index < characters.count, characters[index] != "\n" { index += 1 }
            case "'", "\"":
                let close = characters[(index + 1)...].firstIndex(of: character) ?? characters.count - 1
                append(upTo: close + 1)
            case "$":
                guard let tag = dollarTag(characters, at: index) else {
                    append(upTo: index + 1)
                    break
                }
                let body = index + tag.count
                let close = firstOccurrence(of: tag, in: characters, from: body) ?? characters.count
                append(upTo: min(characters.count, close + tag.count))
            case ";":
                statements.append(current)
                current = ""
                index += 1
            default:
                append(upTo: index + 1)
            }
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The dollar quote that opens at `start` (`$$` or `$name$`), or nil where `$` is something
    /// else (a placeholder such as `$1`).
    private static func dollarTag(_ characters: [Character], at start: Int) -> [Character]? {
        var end = start + 1
        while end < characters.count, characters[end] == "_" || characters[end].isLetter || (end > start + 1 && characters[end].isNumber) {
            end += 1
        }
        guard end < characters.count, characters[end] == "$" else { return nil }
        return Array(characters[start...end])
    }

    private static func firstOccurrence(of tag: [Character], in characters: [Character], from start: Int) -> Int? {
        guard characters.count >= tag.count, start <= characters.count - tag.count else { return nil }
        for position in start...(characters.count - tag.count) where characters[position..<(position + tag.count)].elementsEqual(tag) {
            return position
        }
        return nil
    }

    private func run(_ sql: String, _ arguments: SQLArguments) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for value in arguments.sqlValues {
            switch value {
            case .null: binds.appendNull()
            case .integer(let integer): binds.append(integer)
            case .real(let real): binds.append(real)
            case .text(let text): binds.append(text)
            }
        }
        let query = PostgresQuery(unsafeSQL: Placeholders.numbered(sql), binds: binds)
        roundTrips.add()
        return try connection.whileOpen { [connection, logger] in connection.query(query, logger: logger) }
    }

    /// A cell as one of the history's four kinds of value. `sum()` of bigints is numeric in
    /// PostgreSQL; a whole one reads as an integer, as SQLite's does.
    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8: return .real(try cell.decode(Double.self))
        case .numeric:
            let decimal = try cell.decode(Decimal.self)
            if let whole = Int64(exactly: NSDecimalNumber(decimal: decimal).doubleValue), Decimal(whole) == decimal {
                return .integer(whole)
            }
            return .real(NSDecimalNumber(decimal: decimal).doubleValue)
        default: return .text(try cell.decode(String.self))
        }
    }
}

/// How many statements a connection has sent: each waits for the server's answer before the
/// next, so this counts round trips.
final class RoundTripCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func add() {
        lock.lock()
        count += 1
        lock.unlock()
    }
}
