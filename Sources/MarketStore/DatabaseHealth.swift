#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GRDB

extension MarketDatabase {
    /// SQLite's own check of every page, index and constraint (`PRAGMA quick_check`): a file
    /// with a valid header but overwritten or truncated pages is refused as damaged. A
    /// PostgreSQL server keeps its own pages (and checks them as it reads them): nothing to do.
    public func verifyIntegrity() throws(StoreError) {
        guard let problems = try readFile({ db in try String.fetchAll(db, sql: "PRAGMA quick_check(5)") }) else { return }
        guard problems == ["ok"] else { throw .damaged(path: path, detail: Self.firstProblem(problems)) }
    }

    /// The first problem `quick_check` reports, on one line: its rows may hold several lines,
    /// the first of them only naming the schema (`*** in database main ***`).
    static func firstProblem(_ rows: [String]) -> String {
        let lines = rows.flatMap { $0.split(whereSeparator: \.isNewline) }
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("*** in database") }
        guard let first = lines.first else { return "quick_check failed" }
        return "quick_check: " + first.prefix(160) + (lines.count > 1 ? ", and more" : "")
    }

    /// Runs still `running` whose supervisor process is gone: abandoned, not live.
    public func abandonedRuns() throws(StoreError) -> Set<Int64> {
        let running = try read { db in
            try db.rows(sql: "SELECT run_id, supervisor_pid FROM runs WHERE status = 'running'")
        }
        var abandoned: Set<Int64> = []
        for row in running {
            let pid: Int32? = try row.optional("supervisor_pid")
            if let pid, !Self.isAlive(pid) { abandoned.insert(try row.get("run_id")) }
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
