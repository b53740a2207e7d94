import Foundation
import MarketTestKit
import XCTest

/// The tests' own PostgreSQL server: it answers where it should, refuses a wrong password,
/// survives a stop and a start, and is removed when its owner goes, however it goes.
final class PrivatePostgresTests: XCTestCase {
    func testAnswersOverTheSocketAndOverTCPWithThePassword() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("answers")
        let name = try XCTUnwrap(url.firstMatch(of: #/@/([a-z0-9_]+)\?/#)).1
        XCTAssertEqual(try server.psql(database: String(name), "SELECT current_user;"), "market\n")
        XCTAssertEqual(try server.psql(url: url, "SELECT current_database();"), "\(name)\n", "the socket URL as libpq reads it")
        let tcp = server.tcpURL(database: String(name), password: server.password)
        XCTAssertEqual(try server.psql(url: tcp, "SELECT inet_server_addr()::text, current_user;"), "127.0.0.1/32|market\n")
        XCTAssertLessThan(server.socketDirectory.utf8.count + "/.s.PGSQL.\(server.port)".utf8.count, 107)
    }

    func testAWrongPasswordOrNoneIsRefusedOverTCP() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("refused")
        let name = String(try XCTUnwrap(url.firstMatch(of: #/@/([a-z0-9_]+)\?/#)).1)
        XCTAssertThrowsError(try server.psql(url: server.tcpURL(database: name, password: "not-" + server.password), "SELECT 1;")) {
            XCTAssertTrue("\($0)".contains("password authentication failed"), "\($0)")
        }
        XCTAssertThrowsError(try server.psql(url: server.tcpURL(database: name, password: nil), "SELECT 1;")) {
            XCTAssertTrue("\($0)".contains("password"), "\($0)")
        }
    }

    /// A server of its own, so stopping it does not pull the shared one from under other tests.
    func testStopsImmediatelyAndStartsAgainWithItsData() throws {
        let server = try skippingWithoutPostgres { try PrivatePostgres() }
        addTeardownBlock { server.remove() }
        let url = try server.createDatabase("restart")
        _ = try server.psql(url: url, "CREATE TABLE kept (n bigint); INSERT INTO kept VALUES (42);")
        try server.stopImmediately()
        XCTAssertFalse(server.isReady)
        XCTAssertThrowsError(try server.psql(url: url, "SELECT 1;"))
        try server.start()
        XCTAssertTrue(server.isReady)
        XCTAssertEqual(try server.psql(url: url, "SELECT n FROM kept;"), "42\n", "a committed row outlives an immediate stop")
    }

    func testAServerWhoseOwnerDiedIsFoundStoppedAndRemoved() throws {
        let shared = try privatePostgres()
        let dead = try deadProcessID()
        let orphan = try skippingWithoutPostgres { try PrivatePostgres(ownerPID: dead, watchdog: false) }
        addTeardownBlock { orphan.remove() }
        XCTAssertTrue(orphan.isReady)
        let postmaster = try postmasterPID(orphan)

        let removed = PrivatePostgres.removeAbandoned()

        XCTAssertTrue(removed.contains(orphan.directory), "\(removed)")
        XCTAssertFalse(removed.contains(shared.directory), "the live owner's server stays")
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan.directory))
        XCTAssertFalse(orphan.isReady)
        XCTAssertFalse(isRunning(postmaster), "postmaster \(postmaster) still runs")
        XCTAssertTrue(shared.isReady)
    }

    /// The pipe closes when the test process dies; closing it here is the same event for the watchdog.
    func testTheWatchdogStopsTheServerAndRemovesItWhenItsPipeCloses() throws {
        let server = try skippingWithoutPostgres { try PrivatePostgres() }
        addTeardownBlock { server.remove() }
        XCTAssertTrue(server.isReady)
        let postmaster = try postmasterPID(server)

        server.closeWatchdog()  // returns when the watchdog has exited

        XCTAssertFalse(FileManager.default.fileExists(atPath: server.directory))
        XCTAssertFalse(server.isReady)
        XCTAssertFalse(isRunning(postmaster), "postmaster \(postmaster) still runs")
    }

    // MARK: - Helpers

    /// The PID of a process that has ended and been reaped.
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    private func postmasterPID(_ server: PrivatePostgres) throws -> Int32 {
        let file = try String(contentsOfFile: server.directory + "/data/postmaster.pid", encoding: .utf8)
        return try XCTUnwrap(file.split(separator: "\n").first.flatMap { Int32($0) })
    }

    /// Alive and not a zombie waiting for init to reap it.
    private func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }
}
