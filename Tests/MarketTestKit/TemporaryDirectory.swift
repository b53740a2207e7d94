import Foundation
import XCTest

/// A private directory under the system's temporary one, removed with its contents at deinit.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("market-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

extension XCTestCase {
    /// A path for a database file of this test only; its directory goes when the test ends.
    public func temporaryDatabasePath(_ name: String = "market.db") throws -> String {
        let directory = try TemporaryDirectory()
        addTeardownBlock { _ = directory }
        return directory.path(name)
    }
}
