import Foundation
import MarketCore

extension MarketDatabase {
    /// Records one nemesis action (`kind`) or, with nil, a heal: the groups it drew and the
    /// links cut from `date` on.
    public func recordNemesis(runID: Int64, _ cut: NemesisCut?, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO nemesis(run_id, action, groups, links, at) VALUES (?, ?, ?, ?, ?)",
                arguments: [runID, cut?.kind.rawValue ?? NemesisRecord.heal, cut?.groupsText ?? "", cut?.linksText ?? "",
                            Timestamp.format(date)])
        }
    }

    /// Every nemesis action and heal of a run, in order.
    public func nemesis(runID: Int64) throws(StoreError) -> [NemesisRecord] {
        try read { db in try NemesisRecord.all(db, runID: runID) }
    }
}

extension NemesisRecord {
    /// None in a database from before migration 0008, which the read-only commands still read.
    static func all(_ db: any SQLSession, runID: Int64) throws -> [NemesisRecord] {
        guard try db.tableNames().contains("nemesis") else { return [] }
        return try fetchAllCheckingTypes(
            db, sql: "SELECT nemesis_id, action, groups, links, at FROM nemesis WHERE run_id = ? ORDER BY at, nemesis_id",
            arguments: [runID])
    }
}
