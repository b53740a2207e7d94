import XCTest
@testable import MarketCore

/// Who trades is believed only as far as the store's leader record backs it.
final class LeaderClaimTests: XCTestCase {
    func envelope(_ message: Message, from: PeerID = 2) -> Envelope {
        Envelope(from: from, to: 3, clock: 9, message: message)
    }

    func test_onlyFramesThatWouldChangeWhatThePeerBelievesMakeAClaim() {
        XCTAssertEqual(envelope(.coordinator(epoch: 5)).leaderClaim(beyond: 4, leader: 1), LeaderClaim(epoch: 5, leader: 2))
        XCTAssertEqual(envelope(.coordinator(epoch: 4)).leaderClaim(beyond: 4, leader: 1), LeaderClaim(epoch: 4, leader: 2),
                       "the same epoch, another trader")
        XCTAssertNil(envelope(.coordinator(epoch: 4)).leaderClaim(beyond: 4, leader: 2), "what it believes already")
        XCTAssertNil(envelope(.coordinator(epoch: 3)).leaderClaim(beyond: 4, leader: 1), "older: the core ignores it")
        XCTAssertEqual(envelope(.heartbeat(epoch: 6, leader: 0)).leaderClaim(beyond: 4, leader: 1), LeaderClaim(epoch: 6, leader: 0))
        XCTAssertNil(envelope(.heartbeat(epoch: 6, leader: nil)).leaderClaim(beyond: 4, leader: 1))
        XCTAssertNil(envelope(.heartbeat(epoch: 4, leader: 0)).leaderClaim(beyond: 4, leader: 1))
        XCTAssertEqual(envelope(.heartbeat(epoch: 4, leader: 0)).leaderClaim(beyond: 4, leader: nil),
                       LeaderClaim(epoch: 4, leader: 0), "a peer with no trader would follow it: checked too")
        XCTAssertNil(envelope(.election).leaderClaim(beyond: 4, leader: 1))
    }

    func test_theStoreBacksAClaimItGranted_andNoOther() {
        let claim = LeaderClaim(epoch: 5, leader: 2)
        XCTAssertTrue(claim.isBacked(storeEpoch: 5, storeLeader: 2))
        XCTAssertTrue(claim.isBacked(storeEpoch: 7, storeLeader: 1), "granted once, superseded since")
        XCTAssertFalse(claim.isBacked(storeEpoch: 5, storeLeader: 1), "that epoch is somebody else's")
        XCTAssertFalse(claim.isBacked(storeEpoch: 4, storeLeader: 2), "never granted: a forgery or a mistake")
        XCTAssertFalse(LeaderClaim(epoch: 1_000_000, leader: 2).isBacked(storeEpoch: 3, storeLeader: 2))
    }
}
