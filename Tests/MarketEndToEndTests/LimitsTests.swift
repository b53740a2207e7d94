import Foundation
import GRDB
import MarketTestKit
import XCTest

/// Limits of the machine are errors, not traps: a peer that cannot create its threads says so
/// in one line, and the run is recorded as failed.
extension EndToEndTests {
    func test_aUserAtTheirProcessLimit_failsTheRunInOneLinePerPeer_withoutABacktrace() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root, to run market as nobody under ulimit -u") }
        guard let setpriv = ChildRun.find(["setpriv"]) else { throw XCTSkip("setpriv is not installed") }
        guard let prlimit = ChildRun.find(["prlimit"]) else { throw XCTSkip("prlimit is not installed") }
        // A directory nobody can write, with a copy of the binary nobody can run. Under /tmp, not
        // TMPDIR: a private TMPDIR (mode 0700, as CI makes one) would keep nobody out of it.
        var template = Array("/tmp/market-limits-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        XCTAssertTrue(made)
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        let binary = directory + "/market"
        try FileManager.default.copyItem(atPath: try Self.marketBinary().path, toPath: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        let path = directory + "/market.db"

        // RLIMIT_NPROC counts every thread of the user: 32 peers of a few threads each cannot all start.
        let run = try ChildRun.run(prlimit, [
            "--nproc=40", setpriv.path, "--reuid=nobody", "--regid=nogroup", "--clear-groups", binary, "run",
            "--scenario", "many_buyers", "--peers", "32", "--requests", "10", "--sick-rate", "0", "--seed", "1",
            "--db", path,
        ], deadline: 60)
        removeKeptDirectoryAtTeardown(run)
        XCTAssertFalse(run.timedOut, run.errors)
        XCTAssertEqual(run.status, 1, run.errors)
        for trap in ["Precondition failed", "Fatal error", "Backtracing", "Program crashed", "Registers:"] {
            XCTAssertFalse(run.errors.contains(trap), "\(trap) in:\n\(run.errors)")
        }
        let lines = run.errors.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("Resource temporarily unavailable") }, run.errors)
        for line in lines {
            XCTAssertTrue(line.hasPrefix("market run: ") || line.hasPrefix("progress: ") || line.first == "P",
                          "a line that is not the program's own: \(line)")
        }
        let status = try readOnly(path).read { db in try String.fetchOne(db, sql: "SELECT status FROM runs") }
        XCTAssertEqual(status, "failed", run.errors)
    }
}
