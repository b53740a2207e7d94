import GRDB
import MarketCore

/// How a column names a record's property: `snake_case` columns fill `camelCase` properties,
/// an `_id` suffix reads as `ID` (`trade_id` → `tradeID`), and a peer's column names the peer
/// in its part (`buyer_id` → `buyer`). Records keep their own property names for JSON;
/// `SQLRowDecoder` fills them from either engine's rows.
struct ColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }

    /// Columns that name a peer by its part, and the one Lamport stamp.
    static let renamed = [
        "buyer_id": "buyer", "seller_id": "seller", "trader_id": "trader", "peer_id": "peer", "leader_id": "leader",
        "initiator_id": "initiator", "winner_id": "winner", "recipient_id": "recipient",
        "election_initiator_id": "electionInitiator", "lamport_ts": "lamport",
    ]

    static func property(for column: String) -> String {
        if let name = renamed[column] { return name }
        let words = column.split(separator: "_")
        guard let first = words.first else { return column }
        return words.dropFirst().reduce(String(first)) { name, word in
            name + (word == "id" ? "ID" : word.prefix(1).uppercased() + word.dropFirst())
        }
    }
}

// Products and roles are stored as their raw text; anything else in the column is malformed.
extension Product: DatabaseValueConvertible {}
extension Role: DatabaseValueConvertible {}
extension RequestStatus: DatabaseValueConvertible {}

