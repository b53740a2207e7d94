import MarketCore

extension MarketDatabase {
    /// When the first decision under an epoch after `epoch` was made (microseconds since
    /// 1970), or nil if none was yet: the moment a successor trader was at work.
    public func firstDecision(runID: Int64, after epoch: Epoch) throws(StoreError) -> Int64? {
        let text = try read { db in
            try String.fetchOne(db, sql: "SELECT min(decided_at) FROM requests WHERE run_id = ? AND epoch_decided > ?",
                                arguments: [runID, epoch])
        }
        guard let text else { return nil }
        return try Self.microseconds(text, "decided_at")
    }
}
