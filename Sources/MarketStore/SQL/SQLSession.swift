/// Which engine a session talks to, for the few statements that cannot be written once
/// (the catalogue of tables, a new row's id).
public enum SQLEngine: String, Sendable {
    case sqlite
    case postgresql
}

/// Statements inside one transaction of one engine. SQL is written once, with `?`
/// placeholders (`?NNN` to name one by number); a PostgreSQL session numbers them `$1…$n`.
/// The names follow GRDB's (`execute(sql:arguments:)`, `Int.fetchOne(db, sql:)`), so SQL reads
/// the same whichever engine runs it.
public protocol SQLSession {
    var engine: SQLEngine { get }
    /// Runs a statement that returns no rows; the number of rows it changed.
    @discardableResult
    func execute(sql: String, arguments: SQLArguments) throws -> Int
    func rows(sql: String, arguments: SQLArguments) throws -> [SQLRow]
    /// Several statements without arguments (a migration file).
    func executeScript(_ sql: String) throws
}

extension SQLSession {
    @discardableResult
    public func execute(sql: String) throws -> Int { try execute(sql: sql, arguments: []) }

    public func rows(sql: String) throws -> [SQLRow] { try rows(sql: sql, arguments: []) }

    public func row(sql: String, arguments: SQLArguments = []) throws -> SQLRow? {
        try rows(sql: sql, arguments: arguments).first
    }

    /// Every table in the database (in PostgreSQL, in the connection's schema).
    public func tableNames() throws -> [String] {
        switch engine {
        case .sqlite:
            try String.fetchAll(self, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        case .postgresql:
            try String.fetchAll(self, sql: "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()")
        }
    }
}

extension SQLValueConvertible {
    /// The first column of the first row; nil when there is no row or the value is NULL.
    public static func fetchOne(_ session: any SQLSession, sql: String, arguments: SQLArguments = []) throws -> Self? {
        guard let row = try session.row(sql: sql, arguments: arguments) else { return nil }
        return try row.optional(row.columns.first ?? "?") as Self?
    }

    /// The first column of every row; a NULL among them is malformed.
    public static func fetchAll(_ session: any SQLSession, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try session.rows(sql: sql, arguments: arguments).map { row throws(StoreError) in
            try row.get(row.columns.first ?? "?") as Self
        }
    }
}

extension Decodable {
    /// Every row the query returns, each decoded into a record with strict types: a
    /// hand-edited `'lots'` in an integer column is a malformed history, not a zero.
    static func fetchAllCheckingTypes(_ session: any SQLSession, sql: String, arguments: SQLArguments = []) throws -> [Self] {
        try session.rows(sql: sql, arguments: arguments).map { row throws(StoreError) in try row.decode(Self.self) }
    }
}

/// A connection that runs closures in transactions: the one way the store reaches an engine.
protocol SQLConnection: Sendable {
    var engine: SQLEngine { get }
    /// One write transaction: committed when `body` returns, rolled back when it throws.
    func write<T>(_ body: (any SQLSession) throws -> T) throws -> T
    /// One read transaction, seeing a single state of the database throughout.
    func read<T>(_ body: (any SQLSession) throws -> T) throws -> T
    /// One statement that is a write transaction of its own: on PostgreSQL a single round trip
    /// to the server, with no BEGIN or COMMIT (the store's server functions).
    func writeStatement(sql: String, arguments: SQLArguments) throws -> [SQLRow]
    func close()
}

extension SQLConnection {
    func writeStatement(sql: String, arguments: SQLArguments) throws -> [SQLRow] {
        try write { session in try session.rows(sql: sql, arguments: arguments) }
    }
}

enum Placeholders {
    /// `?` → `$1`, `$2`, …, and `?NNN` → `$NNN`, outside quoted text and identifiers.
    static func numbered(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count + 8)
        var next = 1
        var quote: Character?
        var characters = sql.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? characters.next() {
            pending = nil
            if let open = quote {
                result.append(character)
                if character == open { quote = nil }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                result.append(character)
            case "?":
                var digits = ""
                while let following = characters.next() {
                    if following.isASCII, following.isNumber {
                        digits.append(following)
                    } else {
                        pending = following
                        break
                    }
                }
                if digits.isEmpty {
                    result += "$\(next)"
                    next += 1
                } else {
                    result += "$" + digits
                }
            default:
                result.append(character)
            }
        }
        return result
    }
}
