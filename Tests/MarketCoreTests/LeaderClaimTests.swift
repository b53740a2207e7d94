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

    /// The core asks the store before it believes a word on who trades, and frames that
    /// arrive meanwhile wait behind it, in order.
    func test_aClaimWaitsForTheLeaderRecord_andFramesBehindItWait() {
        let peer = PeerHarness(id: 1, peers: [0, 1, 2, 3])
        peer.start()
        var raw = peer.peer
        let held = raw.step(.receive(Envelope(from: 2, to: 1, clock: 4, message: .coordinator(epoch: 1))), now: .zero)
        XCTAssertEqual(held, [.persist(.readLeader)], "nothing changes before the store answers")
        XCTAssertEqual(raw.step(.receive(Envelope(from: 2, to: 1, clock: 5, message: .doneBuying)), now: .zero), [])
        XCTAssertEqual(raw.clock.time, 0, "a held frame's stamp is not taken in yet")
        _ = raw.step(.persisted(.leaderRecord(epoch: 1, leader: 2)), now: .zero)
        XCTAssertEqual(raw.leader, 2)
        XCTAssertEqual(raw.lastSeen[2], 5, "both frames were taken in, in order")
        XCTAssertTrue(raw.heldFrames.isEmpty)
    }

    func test_aClaimTheStoreNeverGrantedIsDropped() {
        let peer = PeerHarness(id: 1, peers: [0, 1, 2, 3])
        peer.start()
        peer.leaderRecord = (epoch: 0, leader: nil)
        peer.receive(.coordinator(epoch: 1), from: 2, clock: 4)
        XCTAssertNil(peer.peer.leader)
        XCTAssertEqual(peer.peer.knownEpoch, 0)
        XCTAssertEqual(peer.peer.unbackedClaims, 1)
        XCTAssertNil(peer.peer.lastSeen[2], "a dropped frame touches nothing")
        peer.heartbeat(from: 0, clock: 6, epoch: 3, leader: 3)
        XCTAssertEqual(peer.peer.unbackedClaims, 2)
        XCTAssertEqual(peer.leaderReads, 2)
    }

    func test_thePlantedBugBelievesWithoutAsking() {
        var config = PeerConfig(id: 1, peers: [0, 1, 2, 3], role: .seller, product: .salt)
        config.electionRule = .trustsClaims
        let peer = PeerHarness(config)
        peer.start()
        peer.leaderRecord = (epoch: 0, leader: nil)
        peer.receive(.coordinator(epoch: 1), from: 2, clock: 4)
        XCTAssertEqual(peer.leaderReads, 0)
        XCTAssertEqual(peer.peer.leader, 2)
    }
}
