import XCTest
@testable import MarketCore

/// Timeouts grow with the peer count past 16 peers, every one in the same proportion.
final class TimingPeerCountTests: XCTestCase {
    func testSmallRunsKeepTheDefaults() {
        for count in [1, 2, 7, Timing.unscaledPeers] {
            XCTAssertEqual(Timing.forPeers(count), Timing(), "\(count) peers")
        }
    }

    func testEveryTimeoutScalesWithThePeerCount() {
        let base = Timing()
        let scaled = Timing.forPeers(256)
        for field in Timing.fields {
            XCTAssertEqual(scaled[keyPath: field.path], base[keyPath: field.path] * 16, field.name)
        }
        XCTAssertEqual(Timing.forPeers(128).heartbeat, .milliseconds(400))
        XCTAssertEqual(Timing.forPeers(24).suspectAfter, .milliseconds(450))
    }

    func testAScenarioTakesTheTimingOfItsSize() throws {
        XCTAssertEqual(try BuiltInScenario.normal.scenario(seed: 1, peers: 6).timing, Timing())
        XCTAssertEqual(try BuiltInScenario.manyBuyers.scenario(seed: 1, peers: 128).timing, Timing.forPeers(128))
        XCTAssertEqual(try BuiltInScenario.normal.scenario(seed: 1, peers: 256).timing.suspectAfter, .milliseconds(4800))
    }
}
