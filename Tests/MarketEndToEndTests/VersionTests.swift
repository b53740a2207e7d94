import Foundation
import MarketRuntime
import XCTest

/// `market --version`: what a supervisor compares with the `market` of another host.
extension EndToEndTests {
    func test_version_printsTheVersionAlone_andExitsZero() throws {
        let outcome = try market(["--version"], deadline: 20)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertEqual(outcome.stdout, MarketVersion.current + "\n")
        XCTAssertEqual(outcome.stderr, "")
    }
}
