import MarketCore

extension MarketDatabase {
    /// A run's liveness figures (`LivenessFigures`), read in one transaction; `timing` is the
    /// run's, which sets the goals and how long a heal stays a cause.
    public func liveness(runID: Int64, timing: Timing) throws(StoreError) -> LivenessFigures {
        try read { db in
            let run: SQLArguments = [runID]
            return LivenessFigures(
                elections: try ElectionRecord.fetchAllCheckingTypes(
                    db, sql: "SELECT * FROM elections WHERE run_id = ? ORDER BY epoch", arguments: run),
                faults: try FaultRecord.fetchAllCheckingTypes(
                    db, sql: "SELECT * FROM faults WHERE run_id = ? ORDER BY at, fault_id", arguments: run),
                nemesis: try NemesisRecord.all(db, runID: runID),
                requests: try RequestRecord.fetchAllCheckingTypes(db, sql: "SELECT * FROM requests WHERE run_id = ?", arguments: run),
                tradeRequestIDs: try String.fetchAll(db, sql: "SELECT request_id FROM trades WHERE run_id = ?", arguments: run),
                timing: timing)
        }
    }
}
