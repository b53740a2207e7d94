#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GRDB

extension MarketDatabase {
    /// SQLite's own check of every page, index and constraint (`PRAGMA quick_check`): a file
    /// with a valid header but overwritten or truncated pages is refused as damaged.
    public func verifyIntegrity() throws(StoreError) {
        let problems = try read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(5)") }
        guard problems == ["ok"] else {
            throw .damaged(path: path, detail: problems.first.map { String($0.prefix(200)) } ?? "quick_check failed")
        }
    }

    /// Runs still `running` whose supervisor process is gone: abandoned, not live.
    public func abandonedRuns() throws(StoreError) -> Set<Int64> {
        let running = try read { db in
            try Row.fetchAll(db, sql: "SELECT run_id, supervisor_pid FROM runs WHERE status = 'running'")
        }
        var abandoned: Set<Int64> = []
        for row in running {
            let pid: Int32? = row["supervisor_pid"]
            if let pid, !Self.isAlive(pid) { abandoned.insert(row["run_id"]) }
        }
        return abandoned
    }

    /// Marks every abandoned run `interrupted`, ending at the last moment its history shows.
    func markAbandonedRuns() throws(StoreError) {
        let abandoned = try abandonedRuns()
        guard !abandoned.isEmpty else { return }
        try write { db in
            for runID in abandoned {
                let ended = try Self.lastMoment(db, runID: runID) ?? Timestamp.now()
                try db.execute(
                    sql: "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE run_id = ? AND status = 'running'",
                    arguments: [ended, runID])
            }
        }
    }

    /// A process with this id exists (it may belong to another user: EPERM still means alive).
    static func isAlive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
