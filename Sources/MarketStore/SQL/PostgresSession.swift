import Foundation
import Logging
import NIOCore
import PostgresNIO

/// One PostgreSQL connection inside one of its transactions. Every call blocks the calling
/// thread until the server answers; the connection's own event loop is never the caller.
struct PostgresSession: SQLSession {
    let connection: PostgresConnection
    let logger: Logger
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

    /// `sql` cut at each semicolon outside quotes and `--` comments; empty pieces dropped.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var comment = false
        var previous: Character = " "
        for character in sql {
            if comment {
                if character == "\n" { comment = false }
                previous = character
                continue
            }
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "-" && previous == "-" {
                current.removeLast()
                comment = true
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
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
