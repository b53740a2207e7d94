import Foundation
import GRDB
import MarketStore

/// The figures of one recorded run, read back from its history (the database holds that one
/// run). History times are ISO-8601 text to the microsecond, read with `Timestamp.parse`, so
/// spans and per-buy times are exact to a microsecond.
public struct RunHistory {
    let queue: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Decided requests, bought ones, and the seconds from the first received to the last decided.
    public struct Decisions: Sendable {
        public var decided: Int
        public var bought: Int
        public var seconds: Double
        public var boughtPerSecond: Double { seconds > 0 ? Double(bought) / seconds : 0 }
    }

    public func decisions() throws -> Decisions {
        try queue.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS decided, coalesce(sum(status = 'bought'), 0) AS bought,
                       min(received_at) AS first, max(decided_at) AS last
                FROM requests WHERE status != 'pending'
                """)
            var seconds = 0.0
            if let first: String = row?["first"], let last: String = row?["last"] {
                seconds = Double(try Self.microseconds(last, "decided_at") - Self.microseconds(first, "received_at")) / 1_000_000
            }
            return Decisions(decided: row?["decided"] ?? 0, bought: row?["bought"] ?? 0, seconds: seconds)
        }
    }

    public func elections() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM elections") ?? 0 }
    }

    /// Microseconds per buy, each decision's time from the one before it, in the order they
    /// were made: a sequential buyer sends its next request only after the last one's result,
    /// so each gap is one whole buy.
    public func perBuy() throws -> [Double] {
        let times = try queue.read { db in
            try String.fetchAll(db, sql: """
                SELECT decided_at FROM requests WHERE status != 'pending' ORDER BY decided_seq
                """).map { try Self.microseconds($0, "decided_at") }
        }
        return zip(times, times.dropFirst()).map { Double($1 - $0) }
    }

    /// Messages received per bought request, Bully's messages left out (the run's one
    /// election is a cost of the run, not of its buys). Needs a `--trace` run.
    public func messagesPerBuy() throws -> Double {
        try queue.read { db in
            let messages = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM messages WHERE kind NOT IN ('election', 'ok', 'coordinator')
                """) ?? 0
            let bought = try Int.fetchOne(db, sql: "SELECT count(*) FROM requests WHERE status = 'bought'") ?? 0
            return bought > 0 ? Double(messages) / Double(bought) : 0
        }
    }

    /// For each fault of `kind` (the trader's: the sick rate strikes only the trader), the
    /// milliseconds from the fault to the first decision of the next trader to take office.
    public func failovers(kind: String) throws -> [Double] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT at, first_decision FROM (
                    SELECT f.at, (
                        SELECT min(q.decided_at) FROM requests q
                        WHERE q.epoch_decided = (SELECT min(e.epoch) FROM elections e WHERE e.finished_at >= f.at)
                    ) AS first_decision
                    FROM faults f WHERE f.kind = ?
                ) WHERE first_decision IS NOT NULL
                """, arguments: [kind]).map { row in
                Double(try Self.microseconds(row["first_decision"], "decided_at") - Self.microseconds(row["at"], "at")) / 1000
            }
        }
    }

    /// A history time in microseconds since 1970; a one-line error naming the column if it is not one.
    static func microseconds(_ text: String?, _ column: String) throws -> Int64 {
        guard let text, let micros = Timestamp.parse(text) else {
            throw StoreError.malformed(column: column, value: text ?? "NULL")
        }
        return micros
    }
}
