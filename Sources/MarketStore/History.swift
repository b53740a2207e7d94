import MarketCore

/// A run's history as `market check` reads it, loaded once inside one read transaction.
struct History {
    /// A seller's product: its inventory row, and the deposits and sales the other tables add up to.
    struct Goods: Decodable {
        var seller: PeerID
        var product: Product
        var stock: Int?
        var deposited: Int?
        var depositTotal: Int
        var soldTotal: Int

        var key: SellerProduct { SellerProduct(seller: seller, product: product) }
        var count: GoodsCount {
            GoodsCount(deposited: depositTotal, sold: soldTotal, stock: stock, recordedDeposited: deposited)
        }
    }

    let runID: Int64
    let runStartedAt: String
    let runStatus: RunStatus?
    /// When the run began to end; what the ending set off is not held against the protocol.
    let stoppingAt: String?
    let requests: [RequestRecord]
    let trades: [TradeRecord]
    let elections: [ElectionRecord]
    let peers: [PeerRecord]
    let faults: [FaultRecord]
    /// The nemesis's actions and heals, in order.
    let nemesis: [NemesisRecord]
    /// The views traders decided in, by epoch and number.
    let views: [ViewRecord]
    let goods: [Goods]
    let messages: [MessageRecord]
    let leaderRecord: LeaderRecord?

    init(_ db: any SQLSession, runID: Int64) throws {
        self.runID = runID
        guard let runRow = try db.row(
            sql: "SELECT started_at, status, stopping_at FROM runs WHERE run_id = ?", arguments: [runID]) else {
            throw StoreError.noSuchRun(runID)
        }
        runStartedAt = try runRow.optional("started_at") ?? ""
        runStatus = (try runRow.optional("status") as String?).flatMap(RunStatus.init(rawValue:))
        stoppingAt = try runRow.optional("stopping_at")
        let run: SQLArguments = [runID]
        requests = try RequestRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM requests WHERE run_id = ?", arguments: run)
        trades = try TradeRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM trades WHERE run_id = ? ORDER BY trade_id", arguments: run)
        elections = try ElectionRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM elections WHERE run_id = ? ORDER BY epoch", arguments: run)
        peers = try PeerRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM peers WHERE run_id = ? ORDER BY peer_id", arguments: run)
        faults = try FaultRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM faults WHERE run_id = ? ORDER BY at, fault_id", arguments: run)
        nemesis = try NemesisRecord.all(db, runID: runID)
        views = try ViewRecord.all(db, runID: runID)
        goods = try Goods.fetchAllCheckingTypes(db, sql: """
            WITH pairs AS (
                SELECT seller_id, product FROM inventory WHERE run_id = ?1
                UNION SELECT seller_id, product FROM deposits WHERE run_id = ?1
                UNION SELECT seller_id, product FROM trades WHERE run_id = ?1
            )
            SELECT p.seller_id, p.product, i.stock, i.deposited,
                   (SELECT coalesce(sum(quantity), 0) FROM deposits d
                    WHERE d.run_id = ?1 AND d.seller_id = p.seller_id AND d.product = p.product) AS deposit_total,
                   (SELECT coalesce(sum(quantity), 0) FROM trades t
                    WHERE t.run_id = ?1 AND t.seller_id = p.seller_id AND t.product = p.product) AS sold_total
            FROM pairs p
            LEFT JOIN inventory i ON i.run_id = ?1 AND i.seller_id = p.seller_id AND i.product = p.product
            ORDER BY p.seller_id, p.product
            """, arguments: run)
        messages = try MessageRecord.fetchAllCheckingTypes(db, sql: """
            SELECT * FROM messages WHERE run_id = ? AND recv_clock IS NOT NULL ORDER BY msg_id
            """, arguments: run)
        leaderRecord = try LeaderRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM leader WHERE run_id = ?", arguments: run).first
    }

    /// Decided requests in the order they were decided.
    var decided: [RequestRecord] {
        requests.filter { $0.decidedSeq != nil }.sorted { $0.decidedSeq! < $1.decidedSeq! }
    }
}
