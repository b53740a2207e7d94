import MarketTestKit
import XCTest

/// Tests that write databases: each test gets a fresh temporary directory, removed after it
/// whether it passed or not.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory = nil
        super.tearDown()
    }
}
