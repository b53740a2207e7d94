import GRDB
import MarketCore

/// How record types read the history's columns: `snake_case` columns fill `camelCase`
/// properties, an `_id` suffix reads as `ID` (`trade_id` → `tradeID`), and a record may rename
/// the rest (`buyer_id` → `buyer`). Records keep their own property names for JSON.
struct ColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    static func property(for column: String) -> String {
        let words = column.split(separator: "_")
        guard let first = words.first else { return column }
        return words.dropFirst().reduce(String(first)) { name, word in
            name + (word == "id" ? "ID" : word.prefix(1).uppercased() + word.dropFirst())
        }
    }
}

extension DatabaseColumnDecodingStrategy {
    /// The history's columns, with `renamed` columns read into properties of other names.
    static func historyColumns(renaming renamed: [String: String] = [:]) -> Self {
        .custom { column in ColumnKey(stringValue: renamed[column] ?? ColumnKey.property(for: column)) }
    }
}

// Products and roles are stored as their raw text; anything else in the column is malformed.
extension Product: DatabaseValueConvertible {}
extension Role: DatabaseValueConvertible {}

extension FetchableRecord {
    /// Every record the query returns, decoded from copied rows. A copied row converts each
    /// value strictly, so a hand-edited `'lots'` in an integer column is a malformed history;
    /// decoding straight off the statement would let SQLite coerce it to 0.
    static func fetchAllCheckingTypes(_ db: Database, sql: String, arguments: StatementArguments) throws -> [Self] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { try Self(row: $0) }
    }
}
