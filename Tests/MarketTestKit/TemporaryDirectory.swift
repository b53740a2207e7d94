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

    /// Removes the directory and everything in it now.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        remove()
    }
}

extension XCTestCase {
    /// A path for a database file of this test only; its directory goes when the test ends.
    public func temporaryDatabasePath(_ name: String = "market.db") throws -> String {
        let directory = try TemporaryDirectory()
        // XCTest keeps a test case, and the blocks it was given, until the whole run ends.
        addTeardownBlock { directory.remove() }
        return directory.path(name)
    }
}
