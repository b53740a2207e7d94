/// Fills a `Decodable` record from an `SQLRow`, the columns naming the properties as
/// `ColumnKey` spells them (`trade_id` → `tradeID`, `buyer_id` → `buyer`). Conversions are
/// strict, as `SQLRow.get` is: a wrong type is `StoreError.malformed`, never a coerced zero.
struct SQLRowDecoder: Decoder {
    let row: SQLRow
    /// Property name → column index.
    let index: [String: Int]

    init(row: SQLRow) {
        self.row = row
        var index: [String: Int] = [:]
        for (position, column) in row.columns.enumerated() where index[ColumnKey.property(for: column)] == nil {
            index[ColumnKey.property(for: column)] = position
        }
        self.index = index
    }

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw StoreError.sqlite("a row decodes into a record, not a list")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw StoreError.sqlite("a row decodes into a record, not a single value")
    }

    func value(_ key: some CodingKey) -> (column: String, value: SQLValue) {
        guard let position = index[key.stringValue] else { return (key.stringValue, .null) }
        return (row.columns[position], row.values[position])
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: SQLRowDecoder
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { decoder.index.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { decoder.index[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { decoder.value(key).value.isNull }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let (column, value) = decoder.value(key)
            if let convertible = T.self as? any SQLValueConvertible.Type {
                guard let converted = convertible.fromSQL(value) as? T else {
                    throw StoreError.malformed(column: column, value: value.description)
                }
                return converted
            }
            return try T(from: ColumnValueDecoder(column: column, value: value))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey> {
            throw StoreError.sqlite("column \(key.stringValue) cannot hold a nested record")
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw StoreError.sqlite("column \(key.stringValue) cannot hold a list")
        }

        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }
}

/// One column's value, for a type that decodes itself from a single value (a raw-value enum
/// that is not `SQLValueConvertible`).
private struct ColumnValueDecoder: Decoder, SingleValueDecodingContainer {
    let column: String
    let value: SQLValue

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw StoreError.malformed(column: column, value: value.description)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw StoreError.malformed(column: column, value: value.description)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value.isNull }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let convertible = T.self as? any SQLValueConvertible.Type, let converted = convertible.fromSQL(value) as? T {
            return converted
        }
        throw StoreError.malformed(column: column, value: value.description)
    }
}

extension SQLRow {
    /// The record this row holds.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(StoreError) -> T {
        do {
            return try T(from: SQLRowDecoder(row: self))
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
