import MarketCore

extension ViewRecord {
    /// A change is every view past its epoch's view 0: how many each epoch had, for those with any.
    public static func changesByEpoch(_ views: [ViewRecord]) -> [(epoch: Epoch, changes: Int)] {
        let counts = Dictionary(views.filter { $0.view > 0 }.map { ($0.epoch, 1) }, uniquingKeysWith: +)
        return counts.keys.sorted().map { ($0, counts[$0] ?? 0) }
    }

    /// None in a database from before migration 0011, which the read-only commands still read.
    static func all(_ db: any SQLSession, runID: Int64) throws -> [ViewRecord] {
        guard try db.tableNames().contains("views") else { return [] }
        return try fetchAllCheckingTypes(db, sql: """
            SELECT epoch, view, trader_id, members, dropped, readmitted, first_seq, at FROM views
            WHERE run_id = ? ORDER BY epoch, view
            """, arguments: [runID])
    }
}

extension MarketDatabase {
    /// Every view a run's traders recorded, by epoch and number.
    public func views(runID: Int64) throws(StoreError) -> [ViewRecord] {
        try read { db in try ViewRecord.all(db, runID: runID) }
    }
}
