/// One result row, read by column name. A read of the wrong type (NULL where a value belongs,
/// text in an integer column) is `StoreError.malformed`, naming the column and the value.
public struct SQLRow: Sendable, CustomStringConvertible {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        precondition(columns.count == values.count, "a row needs one value per column")
        self.columns = columns
        self.values = values
    }

    /// The value of the first column of that name; nil when the row has no such column.
    public subscript(column: String) -> SQLValue? {
        columns.firstIndex(of: column).map { values[$0] }
    }

    public func get<T: SQLValueConvertible>(_ column: String) throws(StoreError) -> T {
        let value = self[column] ?? .null
        guard let converted = T.fromSQL(value) else {
            throw StoreError.malformed(column: column, value: value.description)
        }
        return converted
    }

    /// NULL (or a missing column) reads as nil; any other value must be a `T`.
    public func optional<T: SQLValueConvertible>(_ column: String) throws(StoreError) -> T? {
        let value = self[column] ?? .null
        if value.isNull { return nil }
        guard let converted = T.fromSQL(value) else {
            throw StoreError.malformed(column: column, value: value.description)
        }
        return converted
    }

    /// The first column's value: for `SELECT count(*) …` and the like.
    public var first: SQLValue { values.first ?? .null }

    public var description: String {
        "[" + zip(columns, values).map { "\($0)=\($1)" }.joined(separator: ", ") + "]"
    }
}
