import Foundation
import GRDB
import MarketTestKit
import XCTest

/// Whole runs with peers on TCP ports of 127.0.0.1 (`--transport tcp`): authenticated links,
/// addresses handed out by the supervisor, a crashed peer found again on its new port.
extension EndToEndTests {
    func test_tcp_case3_completesAndChecksClean() throws {
        let (path, _) = try completedCase3(["--transport", "tcp"])
        try assertCheckedClean(path)
    }

    /// A crashed trader is started again on a port of its own; its neighbours hear of it from
    /// the supervisor, and the run goes on under the next trader and completes.
    func test_tcp_crashedPeersComeBackOnNewPorts_andTheRunChecksClean() throws {
        let path = try temporaryDatabasePath()
        let outcome = try market(["run", "--scenario", "test_case3", "--requests", "60", "--seed", "5",
                                  "--sick-mode", "crash", "--sick-rate", "0.05", "--recover-after", "0.2",
                                  "--transport", "tcp", "--db", path, "--json", "--time-limit", "90"], deadline: 150)
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["decided"] as? Int, 120)
        let runID = Int64(try XCTUnwrap(json["run_id"] as? Int))
        let db = try readOnly(path)
        try assertDecidedExactlyOnce(db, runID: runID, expected: 120)
        try db.read { db in
            let crashes = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE run_id = ? AND kind = 'crash'",
                                           arguments: [runID]) ?? 0
            XCTAssertGreaterThan(crashes, 0, "no peer crashed: the restart path was not tried")
            let recovered = try Int.fetchOne(db, sql: "SELECT count(*) FROM faults WHERE run_id = ? AND kind = 'recover'",
                                             arguments: [runID]) ?? 0
            XCTAssertGreaterThan(recovered, 0, "no crashed peer came back")
        }
        try assertCheckedClean(path)
    }
}

/// What the runs across hosts will be made of, on one host: peers over TCP sharing PostgreSQL.
extension EndToEndTests {
    func test_tcp_onPostgres_case3_checksClean_andRecordsEachPeersHost() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("tcp")
        let outcome = try market(["run", "--scenario", "test_case3", "--requests", "30", "--seed", "3", "--sick-rate", "0",
                                  "--transport", "tcp", "--db", url, "--json", "--time-limit", "60"], deadline: 120)
        XCTAssertEqual(outcome.status, 0, outcome.stderr + outcome.stdout)
        let json = try XCTUnwrap(outcome.json, "no JSON summary: \(outcome.stdout)")
        XCTAssertEqual(json["passed"] as? Bool, true)
        XCTAssertEqual(json["decided"] as? Int, 60)
        let run = try XCTUnwrap(json["run_id"] as? Int)
        let hosts = try server.psql(url: url, "SELECT DISTINCT host FROM peers WHERE run_id = \(run);")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let here = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        XCTAssertEqual(hosts.map { $0.split(separator: ".").first.map(String.init) ?? "" }, [here], "every peer ran here")
        try assertCheckedClean(url)
    }
}
