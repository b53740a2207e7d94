import MarketCore

/// What a run's peers wrote to each other: envelopes (messages), and the frames (writes) that
/// carried them, from the peers that recorded them.
public struct WireCounts: Hashable, Sendable {
    public var envelopes: Int
    public var frames: Int
    public var peers: Int
}

/// A run's decided requests, the bought ones, and the seconds from the first received to the
/// last decided: `market bench`'s throughput, and `market run`'s.
public struct DecisionSpan: Hashable, Sendable {
    public var decided: Int
    public var bought: Int
    public var seconds: Double
    public var boughtPerSecond: Double { seconds > 0 ? Double(bought) / seconds : 0 }
}

/// The figures `market bench` reads back from a run's history. Times are the history's text to
/// the microsecond, read with `Timestamp.parse`, so spans and gaps are exact to a microsecond.
extension MarketDatabase {
    public func decisionSpan(runID: Int64) throws(StoreError) -> DecisionSpan {
        try read { db in
            let row = try db.row(sql: """
                SELECT count(*) AS decided, count(*) FILTER (WHERE status = ?) AS bought,
                       min(received_at) AS first, max(decided_at) AS last
                FROM requests WHERE run_id = ? AND status != ?
                """, arguments: [RequestStatus.bought, runID, RequestStatus.pending])
            var seconds = 0.0
            if let first: String = try row?.optional("first"), let last: String = try row?.optional("last") {
                seconds = Double(try Self.microseconds(last, "decided_at") - Self.microseconds(first, "received_at")) / 1_000_000
            }
            return DecisionSpan(decided: try row?.optional("decided") ?? 0, bought: try row?.optional("bought") ?? 0, seconds: seconds)
        }
    }

    /// The envelopes and frames the run's peers wrote to each other, summed over the peers that
    /// recorded them when they stopped (nil: none did).
    public func wireCounts(runID: Int64) throws(StoreError) -> WireCounts? {
        try read { db in
            let row = try db.row(sql: """
                SELECT sum(envelopes_written) AS envelopes, sum(frames_written) AS frames, count(frames_written) AS peers
                FROM peers WHERE run_id = ?
                """, arguments: [runID])
            guard let peers: Int = try row?.optional("peers"), peers > 0 else { return nil }
            return WireCounts(envelopes: try row?.optional("envelopes") ?? 0, frames: try row?.optional("frames") ?? 0, peers: peers)
        }
    }

    public func electionCount(runID: Int64) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM elections WHERE run_id = ?", arguments: [runID]) ?? 0 }
    }

    /// Microseconds from each decision to the next, in the order they were made: a sequential
    /// buyer sends its next request only after the last one's result, so each gap is one whole buy.
    public func decisionGaps(runID: Int64) throws(StoreError) -> [Double] {
        let times = try read { db in
            try String.fetchAll(db, sql: """
                SELECT decided_at FROM requests WHERE run_id = ? AND status != ? ORDER BY decided_seq
                """, arguments: [runID, RequestStatus.pending]).map { try Self.microseconds($0, "decided_at") }
        }
        return zip(times, times.dropFirst()).map { Double($1 - $0) }
    }

    /// Messages received per bought request, Bully's messages left out (a run's election is a
    /// cost of the run, not of its buys). Needs a `--trace` run.
    public func messagesPerBuy(runID: Int64) throws(StoreError) -> Double {
        try read { db in
            let messages = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM messages WHERE run_id = ? AND kind NOT IN ('election', 'ok', 'coordinator')
                """, arguments: [runID]) ?? 0
            let bought = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM requests WHERE run_id = ? AND status = ?", arguments: [runID, RequestStatus.bought]) ?? 0
            return bought > 0 ? Double(messages) / Double(bought) : 0
        }
    }

    /// For each fault of `kind`, the milliseconds from the fault to the first decision of the
    /// next trader to take office; faults no trader decided after are left out.
    public func failovers(runID: Int64, kind: FaultKind) throws(StoreError) -> [Double] {
        try read { db in
            try db.rows(sql: """
                SELECT at, first_decision FROM (
                    SELECT f.at, (
                        SELECT min(q.decided_at) FROM requests q
                        WHERE q.run_id = ?1 AND q.epoch_decided = (
                            SELECT min(e.epoch) FROM elections e WHERE e.run_id = ?1 AND e.finished_at >= f.at)
                    ) AS first_decision
                    FROM faults f WHERE f.run_id = ?1 AND f.kind = ?2
                ) AS recoveries WHERE first_decision IS NOT NULL
                ORDER BY at
                """, arguments: [runID, kind]).map { row throws(StoreError) in
                Double(try Self.microseconds(row.optional("first_decision"), "decided_at") - Self.microseconds(row.optional("at"), "at")) / 1000
            }
        }
    }

    /// A history time in microseconds since 1970; a one-line error naming the column if it is not one.
    static func microseconds(_ text: String?, _ column: String) throws(StoreError) -> Int64 {
        guard let text, let micros = Timestamp.parse(text) else {
            throw StoreError.malformed(column: column, value: text ?? "NULL")
        }
        return micros
    }
}
