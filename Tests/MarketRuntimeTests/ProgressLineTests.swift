import Foundation
import MarketCore
@testable import MarketRuntime
import MarketStore
import MarketSupervision
import XCTest

final class ProgressLineTests: XCTestCase {
    /// RunProgress has no public initializer; it is Codable.
    func progress(decided: Int, bought: Int, leader: PeerID?, electing: Bool) -> RunProgress {
        let json = """
            {"decided": \(decided), "bought": \(bought), "failed": \(decided - bought), "pending": 0, "takeovers": 0,
             "undelivered": 0, "epoch": 3, "leader": \(leader.map(String.init) ?? "null"), "electionInProgress": \(electing),
             "elections": 3}
            """
        return try! JSONDecoder().decode(RunProgress.self, from: Data(json.utf8))
    }

    /// Bought and failed apart (a failed decision is no buy), the rate now, and an election in progress said as such.
    func testTheLineTellsBoughtFromFailed_andAnElectionFromATrader() {
        XCTAssertEqual(ProgressLine.text(progress(decided: 1200, bought: 200, leader: 6, electing: false), planned: 2000, rate: 950.4),
                       "decided 1200/2000 (200 bought, 1000 failed) · 950/s now · trader P6 epoch 3 · elections 3")
        XCTAssertEqual(ProgressLine.text(progress(decided: 5, bought: 5, leader: 6, electing: true), planned: 10, rate: 0),
                       "decided 5/10 (5 bought, 0 failed) · 0/s now · electing (epoch 3 before) · elections 3")
    }

    /// The leader record names a trader until an election ends; while the supervisor holds it
    /// sick, down or paused, the line says so instead of showing a trader at work.
    func testASickTraderIsShownAsSuch() {
        let sick = progress(decided: 40, bought: 40, leader: 6, electing: false)
        XCTAssertEqual(ProgressLine.text(sick, planned: 100, rate: 0, trader: ProgressLine.condition(.sick(.silent), paused: false)),
                       "decided 40/100 (40 bought, 0 failed) · 0/s now · trader P6 epoch 3 (silent) · elections 3")
        XCTAssertEqual(ProgressLine.condition(.sick(.resign), paused: false), "resigned")
        XCTAssertEqual(ProgressLine.condition(.sick(.crash), paused: false), "down")
        XCTAssertEqual(ProgressLine.condition(.down, paused: false), "down")
        XCTAssertEqual(ProgressLine.condition(.up, paused: true), "paused")
        XCTAssertNil(ProgressLine.condition(.up, paused: false))
        XCTAssertNil(ProgressLine.condition(of: nil), "a trader the supervisor does not know of (none yet)")
        let electing = progress(decided: 40, bought: 40, leader: 6, electing: true)
        XCTAssertEqual(ProgressLine.text(electing, planned: 100, rate: 0, trader: "silent"),
                       "decided 40/100 (40 bought, 0 failed) · 0/s now · electing (epoch 3 before) · elections 3",
                       "once the others elect, the election is the news")
    }
}
