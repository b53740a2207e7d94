import Foundation
import GRDB

/// The figures of one recorded run, read back from its history (the database holds that one
/// run). History times are ISO-8601 text to the millisecond, so spans are exact to a
/// millisecond and per-buy times are taken over windows of several buys.
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
                       coalesce((julianday(max(decided_at)) - julianday(min(received_at))) * 86400.0, 0) AS seconds
                FROM requests WHERE status != 'pending'
                """)
            return Decisions(decided: row?["decided"] ?? 0, bought: row?["bought"] ?? 0, seconds: row?["seconds"] ?? 0)
        }
    }

    public func elections() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM elections") ?? 0 }
    }

    /// Microseconds per buy over consecutive windows of `window` decisions, in the order they
    /// were made: with millisecond timestamps, a window of 10 knows a buy to within 100 µs.
    public func perBuyWindows(of window: Int = 10) throws -> [Double] {
        let times = try queue.read { db in
            try Double.fetchAll(db, sql: """
                SELECT julianday(decided_at) * 86400000000.0 FROM requests
                WHERE status != 'pending' ORDER BY decided_at, decided_seq
                """)
        }
        return stride(from: window, to: times.count, by: window).map { end in
            (times[end] - times[end - window]) / Double(window)
        }
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
            try Double.fetchAll(db, sql: """
                SELECT (julianday(first_decision) - julianday(at)) * 86400000.0 FROM (
                    SELECT f.at, (
                        SELECT min(q.decided_at) FROM requests q
                        WHERE q.epoch_decided = (SELECT min(e.epoch) FROM elections e WHERE e.finished_at >= f.at)
                    ) AS first_decision
                    FROM faults f WHERE f.kind = ?
                ) WHERE first_decision IS NOT NULL
                """, arguments: [kind])
        }
    }
}
