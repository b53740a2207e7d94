import MarketCore

/// A run as `market runs` lists it.
public struct RunRecord: Hashable, Codable, Sendable {
    public var runID: Int64
    public var scenario: String
    public var peerCount: Int
    public var seed: UInt64
    public var startedAt: String
    public var finishedAt: String?
    public var status: RunStatus
    public var decided: Int
    public var trades: Int
    public var pending: Int
    public var elections: Int
}

/// What `market inspect db` shows of one run.
public struct RunInspection: Hashable, Codable, Sendable {
    public struct InventoryRecord: Hashable, Codable, Sendable {
        public var seller: PeerID
        public var product: String
        public var stock: Int
        public var deposited: Int
    }

    public var run: RunRecord
    public var leader: LeaderRecord
    public var elections: [ElectionRecord]
    public var inventory: [InventoryRecord]
    public var pendingCount: Int
    /// The first pending requests in `(lamport_ts, buyer_id)` order: what a trader decides next.
    public var pendingHead: [RequestRecord]
    public var bought: Int
    public var failed: Int
    public var undeliveredOutbox: Int
    public var faults: Int
    /// The most recent trades, newest first.
    public var lastTrades: [TradeRecord]
    public var peers: [PeerRecord]
    public var check: CheckReport
    /// Every nemesis action and heal, in order (`market run --nemesis`).
    public var nemesis: [NemesisRecord] = []
    /// Every view the run's traders decided in, by epoch and number (view 0 of each epoch
    /// included: the changes are the others).
    public var views: [ViewRecord] = []

    /// View changes (views past 0) per epoch, for the epochs that had any.
    public var viewChangesByEpoch: [(epoch: Epoch, changes: Int)] {
        ViewRecord.changesByEpoch(views)
    }
}

extension RunRecord {
    /// Every run the query returns. `seed` holds the 64 bits of the seed as a signed integer.
    static func fetchAll(_ db: any SQLSession, sql: String, arguments: SQLArguments = []) throws -> [RunRecord] {
        try Stored.fetchAllCheckingTypes(db, sql: sql, arguments: arguments).map { try $0.record() }
    }

    private struct Stored: Decodable {
        var runID: Int64
        var scenario: String
        var peerCount: Int
        var seed: Int64?
        var startedAt: String?
        var finishedAt: String?
        var status: String?
        var decided: Int
        var trades: Int
        var pending: Int
        var elections: Int

        func record() throws -> RunRecord {
            guard let status = status.flatMap(RunStatus.init(rawValue:)) else {
                throw StoreError.malformed(column: "status", value: status ?? "NULL")
            }
            return RunRecord(runID: runID, scenario: scenario, peerCount: peerCount, seed: UInt64(bitPattern: seed ?? 0),
                      startedAt: startedAt ?? "", finishedAt: finishedAt, status: status, decided: decided,
                      trades: trades, pending: pending, elections: elections)
        }
    }
}


/// How many of a run's requests stand where, and how many a later epoch decided.
struct RequestCounts {
    var byStatus: [RequestStatus: Int] = [:]
    /// Decided under a later epoch than the one that received them.
    var takeovers = 0

    var decided: Int { self[.bought] + self[.failed] }
    subscript(status: RequestStatus) -> Int { byStatus[status] ?? 0 }

    init(_ db: any SQLSession, runID: Int64) throws {
        for row in try db.rows(sql: """
            SELECT status, count(*) AS requests, count(*) FILTER (WHERE epoch_decided > epoch_received) AS takeovers
            FROM requests WHERE run_id = ? GROUP BY status
            """, arguments: [runID]) {
            let status: RequestStatus = try row.get("status")
            byStatus[status] = try row.get("requests")
            if status != .pending { takeovers += try row.get("takeovers") as Int }
        }
    }
}

extension MarketDatabase {
    /// A run with its counts, as `market runs` lists it.
    static let runRecords = """
        SELECT r.*,
               (SELECT count(*) FROM requests q WHERE q.run_id = r.run_id AND q.status != 'pending') AS decided,
               (SELECT count(*) FROM requests q WHERE q.run_id = r.run_id AND q.status = 'pending') AS pending,
               (SELECT count(*) FROM trades t WHERE t.run_id = r.run_id) AS trades,
               (SELECT count(*) FROM elections e WHERE e.run_id = r.run_id) AS elections
        FROM runs r
        """

    /// Every run, oldest first.
    public func runs() throws(StoreError) -> [RunRecord] {
        try read { db in
            try RunRecord.fetchAll(db, sql: "\(Self.runRecords) ORDER BY r.run_id")
        }
    }

    /// `runID`, or the latest run when nil; a clear error when there is none.
    public func resolveRun(_ runID: Int64?) throws(StoreError) -> Int64 {
        if let runID {
            let exists = try read { db in
                try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM runs WHERE run_id = ?", arguments: [runID]) ?? false
            }
            guard exists else { throw .noSuchRun(runID) }
            return runID
        }
        guard let latest = try latestRunID() else { throw .noRuns(path: path) }
        return latest
    }

    /// Everything `market inspect db` shows of a run, with the checker's verdict.
    public func inspect(runID: Int64, head: Int = 5, trades: Int = 10) throws(StoreError) -> RunInspection {
        try read { db in
            let check = try HistoryChecker.check(db, runID: runID)
            let run: SQLArguments = [runID]
            guard let record = try RunRecord.fetchAll(
                db, sql: "\(Self.runRecords) WHERE r.run_id = ?", arguments: run).first else { throw StoreError.noSuchRun(runID) }
            let leader = try LeaderRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM leader WHERE run_id = ?", arguments: run).first
                ?? LeaderRecord(epoch: 0, leader: nil, electionInProgress: false, updatedAt: nil)
            let elections = try ElectionRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM elections WHERE run_id = ? ORDER BY epoch", arguments: run)
            let inventory = try RunInspection.InventoryRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM inventory WHERE run_id = ? ORDER BY seller_id, product", arguments: run)
            let pendingHead = try RequestRecord.fetchAllCheckingTypes(db, sql: """
                SELECT * FROM requests WHERE run_id = ? AND status = ? ORDER BY lamport_ts, buyer_id LIMIT ?
                """, arguments: [runID, RequestStatus.pending, head])
            let lastTrades = try TradeRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM trades WHERE run_id = ? ORDER BY trade_id DESC LIMIT ?", arguments: [runID, trades])
            let peers = try PeerRecord.fetchAllCheckingTypes(
                db, sql: "SELECT * FROM peers WHERE run_id = ? ORDER BY peer_id", arguments: run)
            let counts = try RequestCounts(db, runID: runID)
            let outbox = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM outbox WHERE run_id = ? AND delivered = 0", arguments: run) ?? 0
            let faults = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE run_id = ?", arguments: run) ?? 0
            return RunInspection(
                run: record, leader: leader, elections: elections, inventory: inventory, pendingCount: record.pending,
                pendingHead: pendingHead, bought: counts[.bought], failed: counts[.failed], undeliveredOutbox: outbox,
                faults: faults, lastTrades: lastTrades, peers: peers, check: check,
                nemesis: try NemesisRecord.all(db, runID: runID), views: try ViewRecord.all(db, runID: runID))
        }
    }
}
