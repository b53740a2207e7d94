/// A record of the history seen from its run's start, as `market report` draws it: the
/// record's own fields, and its times as milliseconds since the run's `started_at`, exact to
/// the microsecond the history keeps.
@dynamicMemberLookup
public struct ChronicleRow<Record: Timed>: Hashable, Sendable {
    public var record: Record
    /// The run's `started_at`, in microseconds since 1970.
    public var start: Int64

    public init(_ record: Record, start: Int64) {
        self.record = record
        self.start = start
    }

    public subscript<Value>(dynamicMember path: KeyPath<Record, Value>) -> Value { record[keyPath: path] }

    func ms(_ text: String?) -> Double? {
        text.flatMap(Timestamp.parse).map { Double($0 - start) / 1000 }
    }
}

/// A record with times, by column, that a chronicle reads.
public protocol Timed: Hashable, Sendable {
    var times: [(column: String, text: String?)] { get }
}

extension FaultRecord: Timed {
    public var times: [(column: String, text: String?)] { [("at", at)] }
}

extension ElectionRecord: Timed {
    public var times: [(column: String, text: String?)] { [("started_at", startedAt), ("finished_at", finishedAt)] }
}

extension RequestRecord: Timed {
    public var times: [(column: String, text: String?)] { [("received_at", receivedAt), ("decided_at", decidedAt)] }
}

extension MessageRecord: Timed {
    public var times: [(column: String, text: String?)] { [("sent_at", sentAt), ("received_at", receivedAt)] }
}

extension NemesisRecord: Timed {
    public var times: [(column: String, text: String?)] { [("at", at)] }
}

extension ViewRecord: Timed {
    public var times: [(column: String, text: String?)] { [("at", at)] }
}

extension ChronicleRow where Record == ViewRecord {
    public var atMs: Double { ms(record.at) ?? 0 }
}

extension ChronicleRow where Record == NemesisRecord {
    public var atMs: Double { ms(record.at) ?? 0 }
}

extension ChronicleRow where Record == FaultRecord {
    public var atMs: Double { ms(record.at) ?? 0 }
}

extension ChronicleRow where Record == ElectionRecord {
    public var startedMs: Double? { ms(record.startedAt) }
    public var finishedMs: Double? { ms(record.finishedAt) }
}

extension ChronicleRow where Record == RequestRecord {
    public var receivedMs: Double { ms(record.receivedAt) ?? 0 }
    public var decidedMs: Double? { ms(record.decidedAt) }
}

extension ChronicleRow where Record == MessageRecord {
    public var sentMs: Double? { ms(record.sentAt) }
    public var receivedMs: Double? { ms(record.receivedAt) }
}
