import MarketTestKit
import XCTest
@testable import MarketCore

/// Failure detection around the trader (O(n) a period) and the transport's word that a peer
/// is gone, driven through `Peer.step`. Peers 0–3; P3 trades unless said otherwise.
final class TraderCentredLivenessTests: XCTestCase {
    private let all: [PeerID] = [0, 1, 2, 3]

    func testAPeerWithoutATraderSendsNoHeartbeats() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.effects.timersSet[.heartbeat], p.timing.heartbeat)
    }

    func testAFollowerHeartbeatsTheTraderOnlyWhenItSentItNothingForAPeriod() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(p.sends.map(\.to), [3])
        p.heartbeat(from: 3, clock: 20, epoch: 1, leader: 3, at: .ms(150))
        p.receive(.payout(RequestID(buyer: 0, seq: 0), Trade(
            tradeID: 1, seller: 1, trader: 3, epoch: 1, product: .salt, quantity: 1, priceCents: 100,
            commissionCents: 10)), from: 3, clock: 21)
        p.fire(.heartbeat, at: .ms(200))
        XCTAssertEqual(p.sends.map(\.message), [.delivered([RequestID(buyer: 0, seq: 0)])],
                       "the confirmation is the sign of life")
        p.fire(.heartbeat, at: .ms(250))
        XCTAssertEqual(p.sends, [], "something went to the trader within the period")
    }

    func testAStaleTraderIsToldWhoLeadsNow() {
        let p = PeerHarness.follower(id: 1, leader: 2, epoch: 2)
        p.heartbeat(from: 3, clock: 30, epoch: 1, leader: 3)
        XCTAssertEqual(p.sent(to: 3), [.heartbeat(epoch: 2, leader: 2)])
        XCTAssertEqual(p.peer.leader, 2)
        p.heartbeat(from: 0, clock: 31, epoch: 1, leader: 3)
        XCTAssertEqual(p.sends, [], "only the stale trader itself is answered")
    }

    func testLosingTheTradersConnectionStartsAnElectionAtOnce() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.step(.peerGone(3), at: .ms(10))
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .election), [2], "no ELECTION to a peer known gone")
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .traderGone, initiator: 1))
        p.step(.peerGone(2), at: .ms(12))
        XCTAssertEqual(p.effects.timersCancelled, [.election])
        XCTAssertEqual(p.persists, [.claimEpoch(ElectionClaim(epoch: 2, leader: 1, initiator: 1, reason: .traderGone))],
                       "no higher peer can answer: no need to wait out the timeout")
    }

    func testWhenEveryHigherPeerIsKnownGoneTheClaimIsImmediate() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.step(.peerGone(2))
        p.step(.peerGone(3))
        p.command(.startElection)
        XCTAssertEqual(p.effects.recipients(of: .election), [])
        XCTAssertEqual(p.persists.first?.claim?.leader, 1)
    }

    func testTheWordGoneLastsOneElectionTimeoutOrUntilThePeerSpeaks() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.step(.peerGone(3), at: .ms(0))
        p.step(.peerGone(2), at: .ms(0))
        p.receive(.heartbeat(epoch: 0, leader: nil), from: 2, clock: 4, at: .ms(10))
        p.command(.startElection, at: .ms(10))
        XCTAssertEqual(p.effects.recipients(of: .election), [2], "P2 spoke since; P3 is still gone")

        let q = PeerHarness(id: 1, peers: all)
        q.start()
        q.step(.peerGone(3), at: .ms(0))
        q.command(.startElection, at: q.timing.electionTimeout)
        XCTAssertEqual(q.effects.recipients(of: .election), [3], "the word may be stale: a crashed peer restarts")
    }

    func testAGonePeerThatIsNotTheTraderStartsNothing() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.step(.peerGone(0))
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }

    func testASickPeerIgnoresTheTransport() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.command(.fallSick(.silent))
        XCTAssertEqual(p.step(.peerGone(3)), [])
        XCTAssertEqual(p.step(.endOfTurn), [])
    }

    func testABuyerThatIsDoneTellsANewTraderItNeedNotWait() {
        let done = PeerHarness(id: 1, peers: all, role: .buyer, requests: 0, buyers: [0, 1])
        done.start()
        done.receive(.coordinator(epoch: 1), from: 3, clock: 5)
        XCTAssertEqual(done.sent(to: 3), [.doneBuying])
        done.receive(.coordinator(epoch: 2), from: 3, clock: 9)
        XCTAssertEqual(done.sent(to: 3), [.doneBuying], "a new term, and it may be a new process")

        let seller = PeerHarness(id: 2, peers: all, role: .seller, buyers: [0, 1])
        seller.start()
        seller.receive(.coordinator(epoch: 1), from: 3, clock: 5)
        XCTAssertFalse(seller.sent(to: 3).contains(.doneBuying), "the trader knows sellers do not buy")
    }
}
