import Foundation
import GRDB

/// A GRDB `Database` inside one of its transactions. Statements are GRDB's cached ones, so a
/// trader's hot path prepares each statement once per connection.
struct SQLiteSession: SQLSession {
    let db: Database
    var engine: SQLEngine { .sqlite }

    func execute(sql: String, arguments: SQLArguments) throws -> Int {
        try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
        return db.changesCount
    }

    func rows(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = statement.columnNames
        return try Row.fetchAll(statement, arguments: Self.arguments(arguments)).map { row in
            SQLRow(columns: columns, values: (0..<row.count).map { Self.value(row[$0] as DatabaseValue) })
        }
    }

    func executeScript(_ sql: String) throws {
        try db.execute(sql: sql)
    }

    static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(arguments.sqlValues.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: nil
            case .integer(let integer): integer
            case .real(let real): real
            case .text(let text): text
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let real): .real(real)
        case .string(let text): .text(text)
        // No history column holds a blob; one read as text shows what it holds.
        case .blob(let data): .text(String(decoding: data, as: UTF8.self))
        }
    }
}

/// SQLite through GRDB: the embedded engine. Writes are IMMEDIATE transactions, so the epoch
/// check and the writes it guards see one database: the write lock is taken at BEGIN.
struct SQLiteConnection: SQLConnection {
    let queue: DatabaseQueue
    var engine: SQLEngine { .sqlite }

    func write<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(SQLiteSession(db: db))
                return .commit
            }
            return result!
        }
    }

    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T {
        try queue.read { db in try body(SQLiteSession(db: db)) }
    }

    func close() {
        try? queue.close()
    }
}
