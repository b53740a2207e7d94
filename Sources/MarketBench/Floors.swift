import Foundation
import GRDBSQLite

/// What this machine allows at best, measured in the same run as the product's figures:
/// a Unix socket round trip and a one-row SQLite commit.
public enum Floors {
    /// Ping-pong of a 64-byte message over a Unix stream socket pair, echoed by a thread.
    public static func unixSocketRoundTrip(iterations: Int = 20_000, repetitions: Int = 5) throws -> BenchFigure {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw BenchError.system("socketpair failed: errno \(errno)")
        }
        let (near, far) = (fds[0], fds[1])
        defer { close(near) }
        let echo = Thread {
            var buffer = [UInt8](repeating: 0, count: 64)
            while readFully(far, &buffer), writeFully(far, buffer) {}
            close(far)
        }
        echo.start()
        var message = [UInt8](repeating: 7, count: 64)
        return try BenchFigure.median(
            "Unix socket round trip (64 B)", repetitions: repetitions, operations: iterations,
            note: "floor: two peers cannot talk faster"
        ) {
            for _ in 0..<iterations {
                guard writeFully(near, message), readFully(near, &message) else {
                    throw BenchError.system("socket ping-pong broke: errno \(errno)")
                }
            }
        }
    }

    /// `BEGIN; INSERT one row; COMMIT` on a WAL database with the given `synchronous` level.
    public static func sqliteCommit(synchronous: String, commits: Int = 2_000, repetitions: Int = 5) throws -> BenchFigure {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var db: OpaquePointer?
        guard sqlite3_open(directory.appendingPathComponent("floor.db").path, &db) == SQLITE_OK, let db else {
            throw BenchError.system("cannot open a scratch SQLite database")
        }
        defer { sqlite3_close(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchError.system("\(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        try exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=\(synchronous); CREATE TABLE t(id INTEGER PRIMARY KEY, x INTEGER)")
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO t(x) VALUES (?)", -1, &statement, nil) == SQLITE_OK else {
            throw BenchError.system("prepare failed")
        }
        defer { sqlite3_finalize(statement) }
        return try BenchFigure.median(
            "SQLite WAL one-row commit (synchronous=\(synchronous))", repetitions: repetitions, operations: commits,
            note: "floor: one durable decision cannot be cheaper"
        ) {
            for i in 0..<commits {
                try exec("BEGIN IMMEDIATE")
                sqlite3_bind_int64(statement, 1, Int64(i))
                guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError.system("insert failed") }
                sqlite3_reset(statement)
                try exec("COMMIT")
            }
        }
    }

    static func readFully(_ fd: Int32, _ buffer: inout [UInt8]) -> Bool {
        var done = 0
        let count = buffer.count
        while done < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, count - done) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    static func writeFully(_ fd: Int32, _ buffer: [UInt8]) -> Bool {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + done, buffer.count - done) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

public enum BenchError: Error, CustomStringConvertible {
    case system(String)

    public var description: String {
        switch self {
        case .system(let what): what
        }
    }
}
