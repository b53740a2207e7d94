import Foundation
import GRDB
import MarketCore

/// A run as `market runs` lists it.
public struct RunRecord: Hashable, Codable, Sendable {
    public var runID: Int64
    public var scenario: String
    public var peerCount: Int
    public var seed: UInt64
    public var startedAt: String
    public var finishedAt: String?
    public var status: String
    public var decided: Int
    public var trades: Int
    public var pending: Int
    public var elections: Int
}

/// What `market inspect db` shows of one run.
public struct RunInspection: Hashable, Codable, Sendable {
    public struct LeaderRecord: Hashable, Codable, Sendable {
        public var epoch: Epoch
        public var leader: PeerID?
        public var electionInProgress: Bool
        public var updatedAt: String?
    }

    public struct ElectionRecord: Hashable, Codable, Sendable {
        public var epoch: Epoch
        public var initiator: PeerID?
        public var winner: PeerID
        public var reason: String?
        public var startedAt: String?
        public var finishedAt: String?
    }

    public struct InventoryRecord: Hashable, Codable, Sendable {
        public var seller: PeerID
        public var product: String
        public var stock: Int
        public var deposited: Int
    }

    public struct PendingRecord: Hashable, Codable, Sendable {
        public var requestID: String
        public var buyer: PeerID
        public var product: String
        public var quantity: Int
        public var lamport: Int64
        public var epochReceived: Epoch?
    }

    public struct TradeRecord: Hashable, Codable, Sendable {
        public var tradeID: Int
        public var requestID: String
        public var buyer: PeerID
        public var seller: PeerID
        public var trader: PeerID
        public var epoch: Epoch
        public var product: String
        public var quantity: Int
        public var priceCents: Int
        public var commissionCents: Int
        public var lamport: Int64?
        public var at: String?
    }

    public struct PeerRecord: Hashable, Codable, Sendable {
        public var peer: PeerID
        public var role: String
        public var product: String
        public var downAtStart: Bool
        public var pid: Int?
        public var bought: Int?
        public var sold: Int?
        public var cashCents: Int?
        public var finalClock: Int64?
    }

    public var run: RunRecord
    public var leader: LeaderRecord
    public var elections: [ElectionRecord]
    public var inventory: [InventoryRecord]
    public var pendingCount: Int
    /// The first pending requests in `(lamport_ts, buyer_id)` order: what a trader decides next.
    public var pendingHead: [PendingRecord]
    public var bought: Int
    public var failed: Int
    public var undeliveredOutbox: Int
    public var faults: Int
    /// The most recent trades, newest first.
    public var lastTrades: [TradeRecord]
    public var peers: [PeerRecord]
    public var check: CheckReport
}

extension MarketDatabase {
    /// Every run, oldest first.
    public func runs() throws(StoreError) -> [RunRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.*,
                       (SELECT count(*) FROM requests q WHERE q.run_id = r.run_id AND q.status != 'pending') AS decided,
                       (SELECT count(*) FROM requests q WHERE q.run_id = r.run_id AND q.status = 'pending') AS pending,
                       (SELECT count(*) FROM trades t WHERE t.run_id = r.run_id) AS trades,
                       (SELECT count(*) FROM elections e WHERE e.run_id = r.run_id) AS elections
                FROM runs r ORDER BY r.run_id
                """).map(Self.runRecord)
        }
    }

    static func runRecord(_ row: Row) throws -> RunRecord {
        let seed: Int64 = try row.get("seed") ?? 0
        return RunRecord(
            runID: try row.get("run_id"), scenario: try row.get("scenario"), peerCount: try row.get("peer_count"), seed: UInt64(bitPattern: seed),
            startedAt: try row.get("started_at") ?? "", finishedAt: try row.get("finished_at"), status: try row.get("status") ?? "",
            decided: try row.get("decided") ?? 0, trades: try row.get("trades") ?? 0, pending: try row.get("pending") ?? 0,
            elections: try row.get("elections") ?? 0)
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
            let args: StatementArguments = [runID]
            guard let run = try Row.fetchOne(db, sql: """
                SELECT r.*,
                       (SELECT count(*) FROM requests q WHERE q.run_id = r.run_id AND q.status != 'pending') AS decided,
                       (SELECT count(*) FROM requests q WHERE q.run_id = r.run_id AND q.status = 'pending') AS pending,
                       (SELECT count(*) FROM trades t WHERE t.run_id = r.run_id) AS trades,
                       (SELECT count(*) FROM elections e WHERE e.run_id = r.run_id) AS elections
                FROM runs r WHERE r.run_id = ?
                """, arguments: args) else { throw StoreError.noSuchRun(runID) }
            let leaderRow = try Row.fetchOne(db, sql: "SELECT * FROM leader WHERE run_id = ?", arguments: args)
            let leader = RunInspection.LeaderRecord(
                epoch: try leaderRow?.get("epoch") ?? 0, leader: try leaderRow?.get("leader_id"),
                electionInProgress: try leaderRow?.get("election_in_progress") ?? false, updatedAt: try leaderRow?.get("updated_at"))
            let elections = try Row.fetchAll(db, sql: "SELECT * FROM elections WHERE run_id = ? ORDER BY epoch", arguments: args).map {
                RunInspection.ElectionRecord(epoch: try $0.get("epoch"), initiator: try $0.get("initiator_id"), winner: try $0.get("winner_id"),
                                             reason: try $0.get("reason"), startedAt: try $0.get("started_at"), finishedAt: try $0.get("finished_at"))
            }
            let inventory = try Row.fetchAll(db, sql: """
                SELECT * FROM inventory WHERE run_id = ? ORDER BY seller_id, product
                """, arguments: args).map {
                RunInspection.InventoryRecord(seller: try $0.get("seller_id"), product: try $0.get("product"), stock: try $0.get("stock"),
                                              deposited: try $0.get("deposited"))
            }
            let pendingHead = try Row.fetchAll(db, sql: """
                SELECT * FROM requests WHERE run_id = ? AND status = 'pending' ORDER BY lamport_ts, buyer_id LIMIT ?
                """, arguments: [runID, head]).map {
                RunInspection.PendingRecord(requestID: try $0.get("request_id"), buyer: try $0.get("buyer_id"), product: try $0.get("product"),
                                            quantity: try $0.get("quantity"), lamport: try $0.get("lamport_ts"), epochReceived: try $0.get("epoch_received"))
            }
            let lastTrades = try Row.fetchAll(db, sql: """
                SELECT * FROM trades WHERE run_id = ? ORDER BY trade_id DESC LIMIT ?
                """, arguments: [runID, trades]).map {
                RunInspection.TradeRecord(
                    tradeID: try $0.get("trade_id"), requestID: try $0.get("request_id"), buyer: try $0.get("buyer_id"), seller: try $0.get("seller_id"),
                    trader: try $0.get("trader_id"), epoch: try $0.get("epoch"), product: try $0.get("product"), quantity: try $0.get("quantity"),
                    priceCents: try $0.get("price_cents"), commissionCents: try $0.get("commission_cents"), lamport: try $0.get("lamport_ts"), at: try $0.get("at"))
            }
            let peers = try Row.fetchAll(db, sql: "SELECT * FROM peers WHERE run_id = ? ORDER BY peer_id", arguments: args).map {
                RunInspection.PeerRecord(
                    peer: try $0.get("peer_id"), role: try $0.get("role"), product: try $0.get("product"), downAtStart: try $0.get("down_at_start") ?? false,
                    pid: try $0.get("pid"), bought: try $0.get("bought"), sold: try $0.get("sold"), cashCents: try $0.get("cash_cents"), finalClock: try $0.get("final_clock"))
            }
            let bought = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM requests WHERE run_id = ? AND status = 'bought'", arguments: args) ?? 0
            let failed = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM requests WHERE run_id = ? AND status = 'failed'", arguments: args) ?? 0
            let outbox = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM outbox WHERE run_id = ? AND delivered = 0", arguments: args) ?? 0
            let faults = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE run_id = ?", arguments: args) ?? 0
            let record = try Self.runRecord(run)
            return RunInspection(
                run: record, leader: leader, elections: elections, inventory: inventory, pendingCount: record.pending,
                pendingHead: pendingHead, bought: bought, failed: failed, undeliveredOutbox: outbox, faults: faults,
                lastTrades: lastTrades, peers: peers, check: check)
        }
    }
}
