import MarketTestKit
import XCTest
@testable import MarketCore

/// The trader's lease (`Lease.swift`), driven through `Peer.step`: a silent trader is taken for
/// gone only once the store says its lease lapsed, and a trader that hears nobody stops
/// renewing it. Peers 0–3; P3 trades.
final class LeaseTests: XCTestCase {
    private let all: [PeerID] = [0, 1, 2, 3]

    /// A follower of P3 in epoch 1 that last heard from it at 0, at its first heartbeat tick
    /// past the suspect time.
    private func silentTrader(live: Bool) -> PeerHarness {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.leaseLive = live
        p.fire(.heartbeat, at: p.timing.suspectAfter)
        return p
    }

    func testASilentTraderWithALiveLeaseCostsNoElection() {
        let p = silentTrader(live: true)
        XCTAssertEqual(p.leaseReads, 1, "silence is a question for the store first")
        XCTAssertEqual(p.effects.recipients(of: .election), [])
        XCTAssertEqual(p.effects.electionNotes, [])
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.peer.leader, 3, "its buyer keeps retrying to the trader it has")
        XCTAssertEqual(p.effects.logs.count { $0.contains("lease is live") }, 1)

        p.fire(.heartbeat, at: p.timing.suspectAfter + p.timing.heartbeat)
        XCTAssertEqual(p.leaseReads, 2, "asked again every heartbeat")
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.effects.logs, [], "said once while the silence lasts")
    }

    func testALapsedLeaseStartsTheElectionAsBefore() {
        let p = silentTrader(live: true)
        p.leaseLive = false
        p.fire(.heartbeat, at: p.timing.suspectAfter + p.timing.heartbeat)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.electionNotes, [1])
        XCTAssertEqual(p.effects.recipients(of: .election), [2], "the silent trader is not waited for")
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .heartbeatTimeout, initiator: 1))
    }

    func testATraderHeardAgainWhileTheStoreWasAskedIsKept() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        // The answer is held back: the store is slow.
        let asked = p.peer.step(.timer(.heartbeat), now: p.timing.suspectAfter)
        XCTAssertTrue(asked.contains(.persist(.readLease)))
        p.heartbeat(from: 3, clock: 9, epoch: 1, leader: 3, at: p.timing.suspectAfter + .ms(1))
        p.persisted(.lease(epoch: 1, leader: 3, live: false))
        XCTAssertEqual(p.peer.leader, 3, "the lapse is old news: the trader spoke since")
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }

    func testABuyerCutOffFromItsTraderRetriesWhileTheLeaseIsLive() {
        let p = PeerHarness.follower(id: 0, leader: 3, epoch: 1, role: .buyer, product: .salt, requests: 3)
        let first = p.effects.buys[0]
        p.leaseLive = true
        p.fire(.request, at: .ms(1500))
        XCTAssertEqual(p.leaseReads, 1)
        XCTAssertEqual(p.effects.buys.map(\.id), [first.id], "the same request again, to the same trader")
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.electionPhase, .idle, "no election while the lease is live")
        XCTAssertEqual(p.effects.timersSet[.request], p.timing.requestTimeout, "and again at the next timeout")

        p.leaseLive = false
        p.fire(.request, at: .ms(3000))
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .requestTimeout, initiator: 0, asked: 3),
                       "lapsed: the election it always held")
    }

    func testAClosedConnectionStillMeansGoneWithoutAsking() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.leaseLive = true
        p.step(.peerGone(3), at: .ms(10))
        XCTAssertEqual(p.leaseReads, 0)
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .traderGone, initiator: 1))
    }

    func testANewerTradersLiveLeaseIsWaitedForNotElectedOver() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.leaseLive = true
        p.leaseRecord = (2, 0)
        p.fire(.heartbeat, at: p.timing.suspectAfter)
        XCTAssertNil(p.peer.leader, "its trader was deposed")
        XCTAssertEqual(p.peer.knownEpoch, 2)
        XCTAssertEqual(p.peer.electionPhase, .idle, "the newer trader's word will come")
        p.fire(.heartbeat, at: p.timing.suspectAfter + p.timing.heartbeat)
        XCTAssertEqual(p.peer.electionPhase, .idle, "still live: still waiting")
        XCTAssertEqual(p.leaseReads, 2)
        // Its heartbeat names it: followed, and P1, higher, holds Bully's election.
        p.heartbeat(from: 0, clock: 30, epoch: 2, leader: 0)
        XCTAssertEqual(p.peer.leader, 0)
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .lowerTrader, initiator: 1, asked: 3))
    }

    func testAPeerWithoutATraderWaitsWhileSomeonesLeaseIsLive() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.leaseLive = true
        p.leaseRecord = (4, 3)
        p.fire(.heartbeat, at: p.timing.suspectAfter)
        XCTAssertEqual(p.leaseReads, 1)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.peer.knownEpoch, 4)
        p.leaseLive = false
        p.fire(.heartbeat, at: p.timing.suspectAfter + p.timing.heartbeat)
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .heartbeatTimeout, initiator: 1, asked: 3))
    }

    // MARK: The trader's side

    func testATraderRenewsEveryHeartbeatWhileItHearsSomeone() {
        let t = PeerHarness.trader()
        XCTAssertEqual(t.effects.leaseRenewals.map(\.epoch), [], "the takeover renews nothing: the claim did")
        t.fire(.heartbeat, at: t.timing.heartbeat)
        XCTAssertEqual(t.effects.leaseRenewals.map(\.epoch), [1])
        XCTAssertEqual(t.effects.leaseRenewals.first?.term, t.timing.leaseTerm)
        t.heartbeat(from: 0, clock: 9, epoch: 1, leader: 3, at: t.timing.heartbeat * 2)
        t.fire(.heartbeat, at: t.timing.heartbeat * 3)
        XCTAssertEqual(t.effects.leaseRenewals.map(\.epoch), [1], "P0 was heard a period ago")
    }

    func testATraderTakesItsLeaseWithItsClaimHeardFromOrNot() {
        let t = PeerHarness(id: 3, peers: all)
        t.start()
        t.command(.startElection, at: t.timing.suspectAfter)
        guard let claim = t.persists.first?.claim else { return XCTFail("no claim") }
        t.persisted(.claimed(claim))
        XCTAssertEqual(t.effects.leaseRenewals.map(\.epoch), [claim.epoch], "nobody heard, the lease all the same")
        t.persisted(.takeover(Takeover(epoch: claim.epoch)))
        t.fire(.heartbeat, at: t.timing.suspectAfter + t.timing.heartbeat)
        XCTAssertEqual(t.effects.leaseRenewals.count, 0, "but not renewed while nobody is heard")
    }

    func testAnIsolatedTraderStopsRenewing() {
        let t = PeerHarness.trader()
        t.fire(.heartbeat, at: t.timing.heartbeat)
        XCTAssertEqual(t.effects.leaseRenewals.count, 1, "heard from every peer at 0")
        // Nobody heard since 0: cut off from every peer.
        t.fire(.heartbeat, at: t.timing.leaseHeardWithin)
        XCTAssertEqual(t.effects.leaseRenewals.count, 0, "two periods without a word: the lease lapses")
        XCTAssertTrue(t.peer.isTrader, "it does not step down: the store fences it once another claims")
        t.heartbeat(from: 2, clock: 9, epoch: 1, leader: 3, at: t.timing.leaseHeardWithin + .ms(1))
        t.fire(.heartbeat, at: t.timing.leaseHeardWithin + t.timing.heartbeat)
        XCTAssertEqual(t.effects.leaseRenewals.count, 1, "heard again: renewed again")
    }

    func testARenewalRefusedByTheFenceStepsTheTraderDown() {
        let t = PeerHarness.trader()
        t.fire(.heartbeat, at: t.timing.heartbeat)
        t.persisted(.deposed(current: 2))
        XCTAssertFalse(t.peer.isTrader)
        XCTAssertEqual(t.peer.knownEpoch, 2)
    }

    func testAnIsolatedTradersLeaseLapsesBeforeThePeersSuspectIt() {
        let timing = PeerHarness.timing
        XCTAssertLessThanOrEqual(timing.leaseHeardWithin + timing.leaseTerm, timing.suspectAfter)
        for peers in [16, 128, 256] {
            let scaled = Timing.forPeers(peers)
            XCTAssertLessThanOrEqual(scaled.leaseHeardWithin + scaled.leaseTerm, scaled.suspectAfter, "\(peers) peers")
            XCTAssertGreaterThanOrEqual(scaled.leaseTerm, scaled.heartbeat * 2, "\(peers) peers: room for a late renewal")
        }
    }
}

extension StoreRequest {
    var leaseRenewal: (epoch: Epoch, term: Duration)? {
        if case .renewLease(let epoch, let term) = self { return (epoch, term) }
        return nil
    }
}
