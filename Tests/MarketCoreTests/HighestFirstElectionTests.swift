import MarketTestKit
import XCTest
@testable import MarketCore

/// An election asks the highest reachable peer first, and the other higher peers only if it
/// cannot answer: at startup the highest peer wins without every peer above the initiator
/// asking every peer above itself.
final class HighestFirstElectionTests: BullyTestCase {
    func testAnElectionAsksOnlyTheHighestPeerFirst() {
        let p = PeerHarness(id: 0, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.effects.timersSet, [.election: p.timing.electionTimeout])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .startup, initiator: 0, asked: 3))

        p.receive(.ok, from: 3, clock: 4, at: .ms(20))
        XCTAssertEqual(p.peer.electionPhase, .awaitingCoordinator(reason: .startup, initiator: 0))
        XCTAssertEqual(p.effects.timersCancelled, [.election])
        p.receive(.coordinator(epoch: 1), from: 3, clock: 6, at: .ms(30))
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }

    func testAPeerThatTakesOverALowerElectionAsksOnlyTheHighestToo() {
        let q = PeerHarness(id: 1, peers: all)
        q.start()
        q.receive(.election, from: 0, clock: 1)
        XCTAssertEqual(q.sent(to: 0), [.ok])
        XCTAssertEqual(q.effects.recipients(of: .election), [3], "not P2: P3 is the one that would win")
        XCTAssertEqual(q.peer.electionPhase, .awaitingHighest(reason: .bully, initiator: 0, asked: 3))
    }

    func testASilentHighestPeerIsPassedOverForTheRestAfterTheTimeout() {
        let p = PeerHarness(id: 0, peers: all)
        p.start()
        p.command(.startElection)
        p.fire(.election, at: p.timing.electionTimeout)
        XCTAssertEqual(p.effects.recipients(of: .election), [1, 2], "Bully's round, without the peer that did not answer")
        XCTAssertEqual(p.effects.timersSet, [.election: p.timing.electionTimeout])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 0))
        XCTAssertEqual(p.persists, [])

        p.fire(.election, at: p.timing.electionTimeout * 2)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 0, .startup))], "nobody answered: it claims")
    }

    func testTheHighestPeerGoneMeansTheRestAreAskedAtOnce() {
        let p = PeerHarness(id: 0, peers: all)
        p.start()
        p.command(.startElection)
        p.step(.peerGone(3), at: .ms(5))
        XCTAssertEqual(p.effects.recipients(of: .election), [1, 2])
        XCTAssertEqual(p.effects.timersCancelled, [.election])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 0))
    }

    func testAPeerGoneBeforeTheElectionIsNotTheOneAsked() {
        let p = PeerHarness(id: 0, peers: all)
        p.start()
        p.step(.peerGone(3), at: .ms(5))
        p.command(.startElection, at: .ms(6))
        XCTAssertEqual(p.effects.recipients(of: .election), [2])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .startup, initiator: 0, asked: 2))
    }

    func testWithOneHigherPeerTheRoundIsBullysOwn() {
        let p = PeerHarness(id: 2, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 2))
    }
}
