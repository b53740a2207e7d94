import MarketCore

/// How a run's requests ended, for the summary, the report and `market trades`.
extension MarketDatabase {
    /// Failed decisions by reason (`no seller`), the commonest first.
    public func failureReasons(runID: Int64) throws(StoreError) -> [FailureCount] {
        try read { db in
            try db.rows(sql: """
                SELECT coalesce(reason, 'unknown') AS reason, count(*) AS n FROM requests
                WHERE run_id = ? AND status = 'failed' GROUP BY 1 ORDER BY n DESC, reason
                """, arguments: [runID]).map { row throws(StoreError) in FailureCount(reason: try row.get("reason"), count: try row.get("n")) }
        }
    }

    /// The run's trades in the order they were made, optionally one buyer's or one seller's;
    /// `after` pages on from a trade id (for following a live run). A buyer or seller that is not
    /// a peer of the run is an error rather than an empty list, so a typo does not read as "no trades".
    public func trades(runID: Int64, buyer: PeerID? = nil, seller: PeerID? = nil, after: Int64 = 0) throws(StoreError) -> [TradeRecord] {
        for peer in [buyer, seller].compactMap({ $0 }) {
            let known = try read { db in
                try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM peers WHERE run_id = ? AND peer_id = ?",
                                  arguments: [runID, peer]) ?? false
            }
            guard known else { throw .noSuchPeer(run: runID, peer: peer) }
        }
        return try read { db in
            var sql = "SELECT * FROM trades WHERE run_id = ? AND trade_id > ?"
            var arguments: SQLArguments = [runID, after]
            if let buyer {
                sql += " AND buyer_id = ?"
                arguments.append(buyer)
            }
            if let seller {
                sql += " AND seller_id = ?"
                arguments.append(seller)
            }
            return try TradeRecord.fetchAllCheckingTypes(db, sql: sql + " ORDER BY trade_id", arguments: arguments)
        }
    }
}

public struct FailureCount: Hashable, Codable, Sendable {
    public var reason: String
    public var count: Int

    public init(reason: String, count: Int) {
        self.reason = reason
        self.count = count
    }

    /// `no seller ×1800, trader gone ×2`.
    public static func text(_ counts: [FailureCount]) -> String {
        counts.map { "\($0.reason) ×\($0.count)" }.joined(separator: ", ")
    }
}
