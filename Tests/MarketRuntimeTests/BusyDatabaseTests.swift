import Foundation
import GRDB
@testable import MarketStore
import XCTest

/// A peer waits and tries again when the database is busy; it knows it by SQLite's result
/// code, whatever the message says.
final class BusyDatabaseTests: XCTestCase {
    func testALockHeldByAnotherConnectionIsBusy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-busy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("busy.db").path
        let holder = try DatabaseQueue(path: path)
        try holder.write { db in try db.execute(sql: "CREATE TABLE t(x)") }
        var config = Configuration()
        config.busyMode = .immediateError
        let waiter = try DatabaseQueue(path: path, configuration: config)

        try holder.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                XCTAssertThrowsError(try waiter.write { db in try db.execute(sql: "INSERT INTO t VALUES (1)") }) { error in
                    guard case .busy = StoreError.wrap(error) else {
                        return XCTFail("\(error) is not seen as busy: \(StoreError.wrap(error))")
                    }
                }
                return .rollback
            }
        }
    }

    func testOnlyBusyAndLockedCodesAreBusy() {
        XCTAssertEqual(StoreError.wrap(DatabaseError(resultCode: .SQLITE_LOCKED, message: "database table is locked")),
                       .busy("database table is locked"))
        XCTAssertEqual(StoreError.wrap(DatabaseError(resultCode: .SQLITE_BUSY_SNAPSHOT, message: "snapshot")), .busy("snapshot"))
        // A message that only mentions being busy is not a busy database.
        XCTAssertEqual(StoreError.wrap(DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "busy column is locked")),
                       .sqlite("busy column is locked"))
        XCTAssertEqual(StoreError.busy("database is locked").description, "database error: database is locked")
    }
}
