import MarketTestKit
import XCTest
@testable import MarketCore

/// A claim the store refuses is retried past the store's epoch, but never in a loop without
/// a timer: a peer misled about the epoch once spun a million rounds in one instant.
final class ElectionRetryTests: BullyTestCase {
    func testClaimsRefusedAgainWaitATimeoutBetweenRounds() {
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        p.persisted(.claimRefused(current: 2))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(3, by: 3, .startup))], "the first retry is at once")
        p.persisted(.claimRefused(current: 5))
        XCTAssertEqual(p.persists, [], "a second refusal in a row: no new claim in the same instant")
        XCTAssertEqual(p.effects.timersSet[.election], p.timing.electionTimeout)
        p.fire(.election)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(6, by: 3, .startup))])
        p.persisted(.claimed(claim(6, by: 3, .startup)))
        XCTAssertEqual(p.peer.refusedClaims, 0)
        XCTAssertEqual(p.peer.knownEpoch, 6)
    }

    func testAnEpochTheStoreNeverGrantedIsForgottenAtTheFirstRefusal() {
        // P2 announced an epoch nobody claimed; P3 challenges it (Bully) and the store says 2.
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.receive(.coordinator(epoch: 900), from: 2, clock: 2)
        XCTAssertEqual(p.persists.last, .claimEpoch(claim(901, by: 3, .lowerTrader)))
        p.persisted(.claimRefused(current: 2))
        XCTAssertEqual(p.peer.knownEpoch, 2, "the store's word, not the rumour")
    }
}
