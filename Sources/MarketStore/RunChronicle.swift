import Foundation
import MarketCore

/// What happened in a run, in time: the rows `market report` draws. Every time is in
/// milliseconds since the run's `started_at`, exact to the microsecond the history keeps.
public struct RunChronicle: Sendable {
    public typealias Fault = ChronicleRow<FaultRecord>
    public typealias Election = ChronicleRow<ElectionRecord>
    /// One buy request. `decidedMs` is nil while it is pending.
    public typealias Request = ChronicleRow<RequestRecord>
    /// A traced message: only the receiving side is recorded today, so `sentMs` is usually nil.
    public typealias Message = ChronicleRow<MessageRecord>

    public var runID: Int64
    /// The last moment the history speaks of: `finished_at`, or for a live run the newest
    /// time in any table.
    public var endMs: Double
    public var faults: [Fault]
    public var elections: [Election]
    public var requests: [Request]
    /// Every traced message of the run (`--trace`); empty without it.
    public var messageCount: Int
    /// The traced messages of the window asked for, in the order they were received.
    public var messages: [Message]
    /// Every nemesis action and heal (`market run --nemesis`), in order.
    public var nemesis: [ChronicleRow<NemesisRecord>] = []
    /// Every view change (views past 0 of each epoch), in order.
    public var viewChanges: [ChronicleRow<ViewRecord>] = []
}

/// Which traced messages a report draws.
public enum MessageWindow: Hashable, Sendable {
    /// The messages received while the election of `epoch` ran, with `before` messages
    /// received before it and `after` after it (not counting heartbeats, which come in only
    /// between those); nil picks the first re-election, or the first election.
    case election(epoch: Epoch?, before: Int, after: Int)
    /// The messages received between these times (ms since the run started).
    case time(fromMs: Double, toMs: Double)
}

extension MarketDatabase {
    /// Reads a run's chronicle in one read transaction: a consistent snapshot, also of a live
    /// run. At most `messageLimit` traced messages of the window are returned.
    public func chronicle(runID: Int64, window: MessageWindow, messageLimit: Int = 400) throws(StoreError) -> RunChronicle {
        try read { db in
            guard let startText = try String.fetchOne(db, sql: "SELECT started_at FROM runs WHERE run_id = ?", arguments: [runID]) else {
                throw StoreError.noSuchRun(runID)
            }
            let clock = try RunClock(start: startText)
            let args: SQLArguments = [runID]
            let faults = try clock.rows(FaultRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM faults WHERE run_id = ? ORDER BY at, fault_id
                """, arguments: args))
            let elections = try clock.rows(ElectionRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM elections WHERE run_id = ? ORDER BY epoch
                """, arguments: args))
            let requests = try clock.rows(RequestRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM requests WHERE run_id = ? ORDER BY received_at, request_id
                """, arguments: args))
            func latest(_ column: String) -> String { "max(\(Timestamp.sqlSixDigits(column)))" }
            let ends = try db.row(sql: """
                SELECT (SELECT finished_at FROM runs WHERE run_id = ?1) AS finished_at,
                       (SELECT \(latest("decided_at")) FROM requests WHERE run_id = ?1) AS decided_at,
                       (SELECT \(latest("received_at")) FROM requests WHERE run_id = ?1) AS received_at,
                       (SELECT \(latest("at")) FROM faults WHERE run_id = ?1) AS at,
                       (SELECT \(latest("finished_at")) FROM elections WHERE run_id = ?1) AS elections_finished_at
                """, arguments: args)
            var end = 0.0
            if let ends {
                end = try clock.optionalMs(ends, "finished_at")
                    ?? (try ["decided_at", "received_at", "at", "elections_finished_at"].map { try clock.optionalMs(ends, $0) ?? 0 }.max() ?? 0)
            }
            let messageCount = try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE run_id = ?", arguments: [runID]) ?? 0
            let messages = messageCount == 0 ? [] : try Self.windowMessages(db, runID: runID, clock: clock, window: window,
                                                                             elections: elections, limit: messageLimit)
            var chronicle = RunChronicle(runID: runID, endMs: end, faults: faults, elections: elections, requests: requests,
                                         messageCount: messageCount, messages: messages)
            chronicle.nemesis = try clock.rows(NemesisRecord.all(db, runID: runID))
            chronicle.viewChanges = try clock.rows(ViewRecord.all(db, runID: runID).filter { $0.view > 0 })
            return chronicle
        }
    }

    static func windowMessages(_ db: any SQLSession, runID: Int64, clock: RunClock, window: MessageWindow,
                               elections: [RunChronicle.Election], limit: Int) throws -> [RunChronicle.Message] {
        // Compared as fixed-width text: exact, and SQLite reads no time as a number.
        let received = Timestamp.sqlSixDigits("received_at")
        func fetch(_ condition: String, _ order: String, _ bounds: [String: Double], limit: Int) throws -> [RunChronicle.Message] {
            // Named bounds become numbered placeholders, written once for both engines.
            var all: SQLArguments = [runID, max(0, limit)]
            var condition = condition
            for (name, ms) in bounds.sorted(by: { $0.key > $1.key }) {
                all.append(clock.text(ms: ms))
                condition = condition.replacingOccurrences(of: ":" + name, with: "?\(all.count)")
            }
            return try clock.rows(MessageRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM messages
                WHERE run_id = ?1 AND received_at IS NOT NULL AND \(condition)
                ORDER BY \(received) \(order), msg_id \(order)
                LIMIT ?2
                """, arguments: all))
        }
        switch window {
        case .time(let from, let to):
            return try fetch("\(received) BETWEEN :from AND :to", "ASC", ["from": from, "to": to], limit: limit)
        case .election(let epoch, let before, let after):
            // Heartbeats would crowd out the buys around an election: `before` and `after`
            // count the other messages; heartbeats come in only within the span those cover.
            guard let span = electionSpan(epoch, elections: elections) else { return [] }
            let during = try fetch("\(received) BETWEEN :from AND :to", "ASC", ["from": span.lowerBound, "to": span.upperBound],
                                   limit: limit)
            let earlier = try fetch("\(received) < :from AND kind != 'heartbeat'", "DESC", ["from": span.lowerBound],
                                    limit: min(before, limit - during.count))
            let later = try fetch("\(received) > :to AND kind != 'heartbeat'", "ASC", ["to": span.upperBound],
                                  limit: min(after, limit - during.count - earlier.count))
            let from = earlier.last?.receivedMs ?? span.lowerBound
            let to = later.last?.receivedMs ?? span.upperBound
            let beats = try fetch("kind = 'heartbeat' AND ((\(received) >= :from AND \(received) < :start_ms) OR "
                                  + "(\(received) > :end_ms AND \(received) <= :to))", "ASC",
                                  ["from": from, "to": to, "start_ms": span.lowerBound, "end_ms": span.upperBound],
                                  limit: limit - during.count - earlier.count - later.count)
            return (earlier + during + later + beats).sorted {
                ($0.receivedMs ?? 0, $0.msgID) < ($1.receivedMs ?? 0, $1.msgID)
            }
        }
    }

    /// When the election of `epoch` ran (ms since the start); nil picks the first re-election,
    /// else the first election. Nil when the run has no such election.
    public static func electionSpan(_ epoch: Epoch?, elections: [RunChronicle.Election]) -> ClosedRange<Double>? {
        let chosen = epoch.map { wanted in elections.first { $0.epoch == wanted } }
            ?? (elections.first { $0.epoch == 2 } ?? elections.first)
        guard let election = chosen, let finished = election.finishedMs ?? election.startedMs else { return nil }
        return min(election.startedMs ?? finished, finished)...finished
    }
}

/// A run's times as milliseconds since its `started_at`, worked out from the text in whole
/// microseconds (exact: a 250 µs wait reads 0.25 ms).
struct RunClock {
    let start: Int64

    init(start: String) throws {
        guard let micros = Timestamp.parse(start) else { throw StoreError.malformed(column: "started_at", value: start) }
        self.start = micros
    }

    func optionalMs(_ row: SQLRow, _ column: String) throws -> Double? {
        let value = row[column] ?? .null
        if value.isNull { return nil }
        guard let text = String.fromSQL(value), let micros = Timestamp.parse(text) else {
            throw StoreError.malformed(column: column, value: "\(value)")
        }
        return Double(micros - start) / 1000
    }

    /// The records seen from the run's start; a time that is not one is a malformed history.
    func rows<Record: Timed>(_ records: [Record]) throws -> [ChronicleRow<Record>] {
        try records.map { record in
            for (column, text) in record.times where text.flatMap(Timestamp.parse) == nil && text != nil {
                throw StoreError.malformed(column: column, value: text ?? "NULL")
            }
            return ChronicleRow(record, start: start)
        }
    }

    /// The history's text for `ms` since the start, to the microsecond.
    func text(ms: Double) -> String {
        Timestamp.format(microseconds: start + Int64((ms * 1000).rounded()))
    }
}
