import Foundation
import MarketCore

extension MarketDatabase {
    /// Records when the run began to end (`runs.stopping_at`), once: the first word counts, a
    /// supervisor's stop or the first peer that found the supervisor gone.
    public func noteStopping(runID: Int64, at date: Date = Date()) throws(StoreError) {
        try write { db in
            let changed = try db.execute(sql: "UPDATE runs SET stopping_at = coalesce(stopping_at, ?) WHERE run_id = ?",
                                         arguments: [Timestamp.format(date), runID])
            guard changed == 1 else { throw StoreError.noSuchRun(runID) }
        }
    }

    /// The last moment a run's history shows: for a run whose supervisor died, that is when
    /// it ended, not when somebody noticed.
    static func lastMoment(_ db: any SQLSession, runID: Int64) throws -> String? {
        try String.fetchOne(db, sql: """
            SELECT max(t) FROM (
                SELECT started_at AS t FROM runs WHERE run_id = ?1
                UNION ALL SELECT stopping_at FROM runs WHERE run_id = ?1
                UNION ALL SELECT updated_at FROM leader WHERE run_id = ?1
                UNION ALL SELECT max(at) FROM faults WHERE run_id = ?1
                UNION ALL SELECT max(coalesce(decided_at, received_at)) FROM requests WHERE run_id = ?1
                UNION ALL SELECT max(at) FROM trades WHERE run_id = ?1
                UNION ALL SELECT max(at) FROM deposits WHERE run_id = ?1
                UNION ALL SELECT max(coalesce(finished_at, started_at)) FROM elections WHERE run_id = ?1
                UNION ALL SELECT max(coalesce(received_at, sent_at)) FROM messages WHERE run_id = ?1
            ) AS moments
            """, arguments: [runID])
    }
}

extension MarketDatabase {
    /// Writes the end of a run that its supervisor could not write (the disk was full), if the
    /// run still reads `running`.
    public func recordLateEnd(runID: Int64, status: RunStatus, finishedAt: String) throws(StoreError) {
        try write { db in
            try db.execute(sql: "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ? AND status = 'running'",
                           arguments: [status.rawValue, finishedAt, runID])
        }
    }
}
