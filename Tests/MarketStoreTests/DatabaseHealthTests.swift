import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// A damaged file is refused as damaged; a run whose supervisor died is recognised and marked.
final class DatabaseHealthTests: XCTestCase {
    /// A database of a few hundred pages with one finished run.
    func makeDatabase() throws -> String {
        let path = try temporaryDatabasePath()
        let database = try MarketDatabase.open(path: path)
        let peers = (0..<200).map { PeerSpec(id: $0, role: $0 % 2 == 0 ? .buyer : .seller, product: .salt) }
        for _ in 0..<20 {
            let run = try database.beginRun(scenario: "health", peerCount: peers.count, seed: 1, peers: peers)
            try database.finishRun(runID: run, status: .completed)
        }
        return path
    }

    func overwrite(_ path: String, at offset: UInt64, count: Int) throws {
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: count))
        try handle.close()
    }

    /// Refused as damaged, in one line that names the file.
    func assertDamaged(_ path: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case .damaged = error as? StoreError else {
                return XCTFail("expected damaged, got \(error)", file: file, line: line)
            }
            XCTAssertTrue("\(error)".hasPrefix("\(path) is damaged ("), "\(error)", file: file, line: line)
            XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)", file: file, line: line)
        }
    }

    func test_aHealthyDatabasePassesTheCheck() throws {
        let path = try makeDatabase()
        XCTAssertNoThrow(try MarketDatabase.openReadOnly(path: path).verifyIntegrity())
    }

    func test_pagesOverwrittenInTheMiddle_areRefusedAsDamaged_andNothingIsAppended() throws {
        let path = try makeDatabase()
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64)
        XCTAssertGreaterThan(size, 64 * 1024)
        try overwrite(path, at: size / 2, count: 8192)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        assertDamaged(path) {
            let database = try MarketDatabase.open(path: path)
            _ = try database.beginRun(scenario: "after", peerCount: 1, seed: 1, peers: [])
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "a damaged file is not written to")
        assertDamaged(path) { try MarketDatabase.openReadOnly(path: path).verifyIntegrity() }
        // What a damaged file refuses while reading, not only its check, names the file.
        assertDamaged(path) {
            let database = try MarketDatabase.openReadOnly(path: path)
            for run in try database.runs() { _ = try database.inspect(runID: run.runID) }
        }
    }

    func test_quickChecksReport_becomesOneLine() {
        XCTAssertEqual(MarketDatabase.firstProblem([
            "*** in database main ***\nPage 13: btreeInitPage() returns error code 11\nOn tree page 12 cell 5: Extends off end of page",
            "row 3 missing from index x",
        ]), "quick_check: Page 13: btreeInitPage() returns error code 11, and more")
        XCTAssertEqual(MarketDatabase.firstProblem(["*** in database main ***\nPage 2 is never used"]),
                       "quick_check: Page 2 is never used")
    }

    func test_aTruncatedDatabase_isDamaged_notForeign() throws {
        let path = try makeDatabase()
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: size / 3)
        try handle.close()
        assertDamaged(path) {
            let database = try MarketDatabase.openReadOnly(path: path)
            try database.verifyIntegrity()
            _ = try database.runs()
        }
    }

    func test_aRunWhoseSupervisorIsGone_isAbandoned_andTheNextRunMarksIt() throws {
        let database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let live = try database.beginRun(scenario: "live", peerCount: 1, seed: 1, peers: [])
        let orphan = try database.beginRun(scenario: "orphan", peerCount: 1, seed: 1, peers: [])
        try abandon(orphan, in: database)
        XCTAssertEqual(try database.abandonedRuns(), [orphan], "this process supervises run \(live)")

        _ = try database.beginRun(scenario: "next", peerCount: 1, seed: 1, peers: [])
        let statuses = try database.runs().reduce(into: [:]) { $0[$1.runID] = "\($1.status)" }
        XCTAssertEqual(statuses[orphan], "interrupted")
        XCTAssertEqual(statuses[live], "running")
        XCTAssertEqual(try database.abandonedRuns(), [])
    }

    /// Gives the run a supervisor that is gone: a process that has exited stands for one killed
    /// with SIGKILL.
    func abandon(_ runID: Int64, in database: MarketDatabase) throws {
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        try database.write { db in
            try db.execute(sql: "UPDATE runs SET supervisor_pid = ? WHERE run_id = ?",
                           arguments: [gone.processIdentifier, runID])
        }
    }

    /// A run whose supervisor died ended at the last moment its history shows, not when the
    /// next run noticed.
    func test_anAbandonedRunEndsAtTheLastMomentItsHistoryShows() throws {
        let database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let orphan = try database.beginRun(scenario: "orphan", peerCount: 1, seed: 1,
                                           peers: [PeerSpec(id: 0, role: .buyer, product: .salt)])
        // Later than now, so `now` (what the next run sees) cannot pass for it.
        let lastFault = Date().addingTimeInterval(3600)
        try database.recordFault(runID: orphan, peer: 0, kind: .crash, at: lastFault)
        try database.noteStopping(runID: orphan, at: lastFault.addingTimeInterval(-1))
        try abandon(orphan, in: database)
        _ = try database.beginRun(scenario: "next", peerCount: 1, seed: 1, peers: [])
        let finished = try database.read { db in
            try String.fetchOne(db, sql: "SELECT finished_at FROM runs WHERE run_id = ?", arguments: [orphan])
        }
        XCTAssertEqual(finished, Timestamp.format(lastFault))
    }

    /// The first word on the run's end counts: a peer that finds the supervisor gone after it
    /// said stop does not move the moment.
    func test_theRunsEndIsNotedOnce() throws {
        let database = try MarketDatabase.open(path: try temporaryDatabasePath())
        let run = try database.beginRun(scenario: "one", peerCount: 1, seed: 1, peers: [])
        let first = Date(timeIntervalSince1970: 2_000_000_000)
        try database.noteStopping(runID: run, at: first)
        try database.noteStopping(runID: run, at: first.addingTimeInterval(5))
        XCTAssertEqual(try database.read { db in
            try String.fetchOne(db, sql: "SELECT stopping_at FROM runs WHERE run_id = ?", arguments: [run])
        }, Timestamp.format(first))
        XCTAssertThrowsError(try database.noteStopping(runID: run + 1)) { error in
            XCTAssertEqual(error as? StoreError, .noSuchRun(run + 1))
        }
    }
}
