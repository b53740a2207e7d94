import Foundation
import MarketCore
import MarketStore
import MarketTestKit
import XCTest

/// Opening the database again in a process that already holds a connection to it must not
/// drop that process's POSIX locks. If it did (a descriptor of the file opened and closed
/// outside SQLite drops every lock the process holds on the file), another process closing
/// its connection would believe it is the last, checkpoint and delete the WAL, and this
/// process's next commit would go into the deleted file: lost without an error.
/// (SQLite's "How To Corrupt An SQLite Database File", section 2.2.)
final class LostWriteTests: XCTestCase {
    func test_aSecondOpenInTheSameProcess_keepsTheFirstConnectionsCommitsDurable() throws {
        guard SQLiteShell.executable != nil else { throw XCTSkip("the sqlite3 shell is not installed") }
        let directory = try TemporaryDirectory()
        let path = directory.path("market.db")
        // The supervisor's order: a writer, a run begun, then a second connection (its reader).
        let writer = try MarketDatabase.open(path: path)
        let runID = try writer.beginRun(scenario: "lost write", peerCount: 1, seed: 1, peers: [])
        let reader = try MarketDatabase.open(path: path)
        XCTAssertEqual(try reader.latestRunID(), runID)

        // Another process opens, checkpoints and closes: on close it deletes the WAL only if it
        // can take the exclusive lock, that is only if this process no longer holds its lock.
        _ = try sqlite3(path, "PRAGMA wal_checkpoint(TRUNCATE);\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"),
                      "the WAL was deleted under this process's open connections")

        try writer.finishRun(runID: runID, status: .completed)
        // A fresh connection in another process: the commit is there, or it went into a deleted file.
        XCTAssertEqual(try sqlite3(path, "SELECT status, finished_at IS NOT NULL FROM runs WHERE run_id = \(runID);\n"),
                       "completed|1\n", "the finished run was lost")
        withExtendedLifetime(reader) {}
    }
}
