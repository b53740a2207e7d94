import Foundation
import GRDB
import MarketTestKit
import XCTest

/// `market run … | head -1`: a reader that goes away is no reason to stop. The run goes on to
/// its end, records it, and exits as it would have.
extension EndToEndTests {
    func test_stdoutClosedByItsReader_theRunStillEndsAndIsRecorded() throws {
        let path = try temporaryDatabasePath()
        let errors = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("stderr.txt")
        XCTAssertTrue(FileManager.default.createFile(atPath: errors.path, contents: nil))
        let errorFile = try FileHandle(forWritingTo: errors)
        defer { try? errorFile.close() }
        let status = try runIntoClosedPipe(["run", "--scenario", "lab", "--requests", "40", "--sick-rate", "0",
                                            "--seed", "4", "--db", path], stderr: errorFile)
        let said = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        XCTAssertEqual(status, 0, said)
        XCTAssertFalse(said.contains("Fatal error"), said)
        try assertCompletedAndChecked(path, said: said)
    }

    func test_stdoutAndStderrClosedByTheirReader_theRunStillEndsAndIsRecorded() throws {
        let path = try temporaryDatabasePath()
        // --verbose: every peer writes its log lines to the closed pipe too.
        let status = try runIntoClosedPipe(["run", "--scenario", "lab", "--requests", "40", "--sick-rate", "0",
                                            "--seed", "5", "--db", path, "--verbose"], stderr: nil)
        XCTAssertEqual(status, 0)
        try assertCompletedAndChecked(path, said: "")
    }

    /// Runs `market` with its stdout (and, without `stderr`, its stderr: `2>&1`) a pipe whose
    /// read end is closed before it starts; returns its exit status.
    private func runIntoClosedPipe(_ arguments: [String], stderr: FileHandle?) throws -> Int32 {
        let pipe = Pipe()
        try pipe.fileHandleForReading.close()
        let process = Process()
        process.executableURL = try Self.marketBinary()
        process.arguments = arguments
        process.standardOutput = pipe.fileHandleForWriting
        process.standardError = stderr ?? pipe.fileHandleForWriting
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try pipe.fileHandleForWriting.close()
        XCTAssertEqual(finished.wait(timeout: .now() + 60), .success, "market \(arguments.joined(separator: " ")) ran past 60 s")
        XCTAssertEqual(process.terminationReason, .exit, "ended by signal \(process.terminationStatus)")
        return process.terminationStatus
    }

    private func assertCompletedAndChecked(_ path: String, said: String,
                                           file: StaticString = #filePath, line: UInt = #line) throws {
        let db = try readOnly(path)
        let row = try db.read { db in try Row.fetchOne(db, sql: "SELECT status, finished_at FROM runs") }
        XCTAssertEqual(row?["status"] as String?, "completed", said, file: file, line: line)
        XCTAssertNotNil(row?["finished_at"] as String?, "finished_at", file: file, line: line)
        let check = try market(["check", "--db", path], deadline: 30)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr, file: file, line: line)
    }
}
