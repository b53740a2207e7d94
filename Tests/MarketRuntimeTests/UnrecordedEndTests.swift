import Foundation
import MarketCore
@testable import MarketRuntime
import MarketStore
import MarketTestKit
import XCTest

/// The end of a run that the database would not take waits in the run's kept directory until
/// the next run on that database writes it.
final class UnrecordedEndTests: XCTestCase {
    func test_theNextRunOnTheDatabaseWritesTheEnd_andLeavesOthersEnds() throws {
        let path = try temporaryDatabasePath()
        let other = try temporaryDatabasePath("other.db")
        let database = try MarketDatabase.open(path: path)
        _ = try MarketDatabase.open(path: other)
        let runID = try database.beginRun(scenario: "full", peerCount: 1, seed: 1, peers: [])

        // Kept directories live where run directories do.
        var template = Array("/tmp/market-unrecorded-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        XCTAssertTrue(made)
        let directory = RunDirectory(path: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        defer { directory.remove() }
        directory.keepForTheUser()
        let end = UnrecordedEnd(database: try XCTUnwrap(UnrecordedEnd.resolve(path)), runID: runID, status: .failed,
                                finishedAt: "2026-01-02T03:04:05.678Z")
        XCTAssertTrue(end.keep(in: directory))

        // Another database's next run leaves it alone.
        UnrecordedEnd.catchUp(try MarketDatabase.open(path: other), databasePath: other)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(directory.path)/\(UnrecordedEnd.fileName)"))
        XCTAssertEqual(try database.runs().first { $0.runID == runID }?.status, .running)

        // Spelled another way, the same file is found.
        UnrecordedEnd.catchUp(database, databasePath: URL(fileURLWithPath: path).deletingLastPathComponent().path
            + "/./" + URL(fileURLWithPath: path).lastPathComponent)
        XCTAssertEqual(try database.runs().first { $0.runID == runID }?.status, .failed)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(directory.path)/\(UnrecordedEnd.fileName)"),
                       "an end written is forgotten")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(directory.path)/kept"), "the logs stay for the user")
    }
}
