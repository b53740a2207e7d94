import Foundation
import GRDB
import MarketTestKit
import XCTest

/// `kill -9` of `market run`: the peers leave, the run's directory goes with them, the run is
/// shown as abandoned, and the next run on the database marks it interrupted.
extension EndToEndTests {
    func test_aSupervisorKilledMidRun_leavesNothingBehind_andIsRecognised() throws {
        let path = try temporaryDatabasePath()
        let supervisor = Process()
        supervisor.executableURL = try Self.marketBinary()
        supervisor.arguments = ["run", "--scenario", "test_case2", "--requests", "20000", "--sick-rate", "0", "--seed", "9",
                                "--db", path]
        supervisor.standardOutput = FileHandle.nullDevice
        supervisor.standardError = FileHandle.nullDevice
        try supervisor.run()
        defer { if supervisor.isRunning { kill(supervisor.processIdentifier, SIGKILL) } }
        _ = try waitFor(path, "the first trade") { db -> Int? in
            let trades = try Int.fetchOne(db, sql: "SELECT count(*) FROM trades") ?? 0
            return trades > 0 ? trades : nil
        }
        let directory = try runDirectory(of: supervisor.processIdentifier)
        let peers = try livePIDs(path).map(\.1)
        XCTAssertEqual(peers.count, 4)
        XCTAssertEqual(kill(supervisor.processIdentifier, SIGKILL), 0)
        supervisor.waitUntilExit()

        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, peers.contains(where: { kill($0, 0) == 0 }) || FileManager.default.fileExists(atPath: directory.path) {
            usleep(20_000)
        }
        XCTAssertFalse(peers.contains { kill($0, 0) == 0 }, "every peer left with its supervisor")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path), "the run's directory went with them")

        let runs = try market(["runs", "--db", path], deadline: 20)
        XCTAssertTrue(runs.stdout.contains("running (supervisor gone)"), runs.stdout)
        let check = try market(["check", "--db", path], deadline: 20)
        XCTAssertTrue(check.stdout.contains("run 1 was abandoned"), check.stdout)

        let next = try market(["run", "--scenario", "lone_peer", "--sick-rate", "0", "--db", path], deadline: 30)
        XCTAssertEqual(next.status, 0, next.stderr)
        XCTAssertEqual(try readOnly(path).read { db in
            try String.fetchOne(db, sql: "SELECT status FROM runs WHERE run_id = 1")
        }, "interrupted")
    }
}
