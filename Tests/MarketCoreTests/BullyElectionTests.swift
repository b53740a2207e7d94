import MarketTestKit
import XCTest
@testable import MarketCore

/// Bully election with epochs, driven through `Peer.step`: starting, answering and winning one.
final class BullyElectionTests: BullyTestCase {
    // MARK: Starting an election

    func testTheHighestPeerClaimsAtOnce() {
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 3, .startup))])
        XCTAssertEqual(p.sends, [], "nobody to send ELECTION to")
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(1, by: 3, .startup)))
    }

    func testAnElectionStartedForAReasonIsNotedInTheStoreButABullyCascadeIsNot() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.effects.electionNotes, [1], "the leader record shows an election in progress")

        let q = PeerHarness(id: 2, peers: all)
        q.start()
        q.receive(.election, from: 1, clock: 3)
        XCTAssertEqual(q.effects.electionNotes, [], "the same election, already noted by its initiator")
        XCTAssertEqual(q.sent(to: 3), [.election])
    }

    func testACoordinatorFromALowerPeerMakesAnIdleHigherPeerHoldItsOwnElection() {
        let p = PeerHarness(id: 2, peers: all)
        p.start()
        p.receive(.coordinator(epoch: 1), from: 1, clock: 5)
        XCTAssertEqual(p.peer.leader, 1, "it follows the sitting trader meanwhile")
        XCTAssertEqual(p.sent(to: 3), [.election])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .lowerTrader, initiator: 2))
    }

    /// Its COORDINATOR lost on a cut link, or read late after a pause: a higher peer that learns
    /// of a lower trader from a heartbeat holds its own election too. Else a buyer in office
    /// below it would never buy again, and the run would never be over.
    func testAHeartbeatNamingALowerTraderMakesAnIdleHigherPeerHoldItsOwnElection() {
        for from in [1, 0] {
            let p = PeerHarness(id: 2, peers: all)
            p.start()
            p.receive(.heartbeat(epoch: 1, leader: 1), from: from, clock: 5)
            XCTAssertEqual(p.peer.leader, 1, "it follows the sitting trader meanwhile (heard from P\(from))")
            XCTAssertEqual(p.sent(to: 3), [.election], "heard from P\(from)")
            XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .lowerTrader, initiator: 2), "heard from P\(from)")
        }
        let p = PeerHarness(id: 2, peers: all)
        p.start()
        p.receive(.heartbeat(epoch: 1, leader: 3), from: 3, clock: 5)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.electionPhase, .idle, "a higher trader is Bully's own choice")
    }

    func testALonePeerElectsItself() {
        let p = PeerHarness(id: 0, peers: [0])
        p.start()
        XCTAssertEqual(p.sends, [])
        p.command(.startElection)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 0, .startup))])
        p.persisted(.claimed(claim(1, by: 0, .startup)))
        XCTAssertEqual(p.persists, [.loadTakeover(epoch: 1)])
        p.persisted(.takeover(Takeover(epoch: 1)))
        XCTAssertTrue(p.peer.isTrader)
        XCTAssertEqual(p.sends, [])
    }

    func testALowerPeerSendsElectionToHigherPeersOnlyTheHighestFirst() {
        let p = PeerHarness(id: 0, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.persists, [])
        p.fire(.election, at: p.timing.electionTimeout)
        XCTAssertEqual(p.effects.recipients(of: .election), [1, 2])
        XCTAssertEqual(p.sends.count, 2)
        XCTAssertEqual(Set(p.sends.map(\.clock)).count, 1, "one send event")
        XCTAssertEqual(p.effects.timersSet, [.election: p.timing.electionTimeout])
        XCTAssertEqual(p.persists, [])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 0))
    }

    func testAnElectionInProgressIsNotStartedTwice() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.command(.startElection)
        XCTAssertEqual(p.sends, [])
        p.receive(.election, from: 0, clock: 1)
        XCTAssertEqual(p.sends.map(\.message), [.ok], "answers, but its own election already runs")
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .startup, initiator: 1, asked: 3))
    }

    // MARK: OK and COORDINATOR

    func testOKThenCoordinator() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.command(.startElection, at: .ms(10))
        p.receive(.ok, from: 3, clock: 4, at: .ms(20))
        XCTAssertEqual(p.peer.electionPhase, .awaitingCoordinator(reason: .startup, initiator: 1))
        XCTAssertEqual(p.effects.timersCancelled, [.election])
        XCTAssertEqual(p.effects.timersSet, [.coordinator: p.timing.coordinatorTimeout])
        p.receive(.ok, from: 2, clock: 4, at: .ms(21))
        XCTAssertEqual(p.effects.timersSet, [:], "a second OK changes nothing")

        p.receive(.coordinator(epoch: 1), from: 3, clock: 6, at: .ms(30))
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.knownEpoch, 1)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.effects.timersCancelled, [.coordinator])
        XCTAssertFalse(p.peer.isTrader)
    }

    func testCoordinatorWithoutAnOKEndsTheElectionToo() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.receive(.coordinator(epoch: 1), from: 2, clock: 4)
        XCTAssertEqual(p.peer.leader, 2)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        XCTAssertEqual(p.effects.timersCancelled, [.election])
        p.fire(.election)
        XCTAssertEqual(p.persists, [], "a stale election timer claims nothing")
    }

    func testOKFromALowerPeerOrOutsideAnElectionIsIgnored() {
        let p = PeerHarness(id: 2, peers: all)
        p.start()
        p.receive(.ok, from: 3, clock: 1)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        p.command(.startElection)
        p.receive(.ok, from: 1, clock: 2)
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 2))
        XCTAssertEqual(p.effects.timersSet, [:])
    }

    func testOKThenCoordinatorTimeoutStartsANewElection() {
        let q = PeerHarness(id: 1, peers: all)
        q.start()
        q.receive(.election, from: 0, clock: 1)  // P1 takes over P0's election
        XCTAssertEqual(q.peer.electionPhase, .awaitingHighest(reason: .bully, initiator: 0, asked: 3))
        q.receive(.ok, from: 3, clock: 5)
        q.fire(.coordinator, at: .ms(1000))
        XCTAssertEqual(q.effects.recipients(of: .election), [3])
        XCTAssertEqual(q.peer.electionPhase, .awaitingHighest(reason: .coordinatorTimeout, initiator: 0, asked: 3))
        XCTAssertEqual(q.effects.timersSet, [.election: q.timing.electionTimeout])
        q.fire(.election, at: .ms(1300))
        XCTAssertEqual(q.effects.recipients(of: .election), [2])
        XCTAssertEqual(q.peer.electionPhase, .awaitingOK(reason: .coordinatorTimeout, initiator: 0))
        // Nobody answers this time: P1 claims, still on behalf of P0's election.
        q.fire(.election, at: .ms(1600))
        XCTAssertEqual(q.persists, [.claimEpoch(claim(1, by: 1, initiator: 0, .coordinatorTimeout))])
    }

    func testACoordinatorTimerOutsideThatPhaseDoesNothing() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.fire(.coordinator)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .startup, initiator: 1, asked: 3))
    }

    // MARK: Claiming the epoch

    func testElectionTimeoutClaimsTheNextEpoch() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 4)
        p.fire(.heartbeat, at: .ms(700))
        XCTAssertEqual(p.effects.recipients(of: .election), [], "P3 is not overdue yet")
        p.fire(.heartbeat, at: .ms(800))
        XCTAssertEqual(p.effects.recipients(of: .election), [2], "not the trader that fell silent")
        XCTAssertNil(p.peer.leader)
        p.fire(.election, at: .ms(1100))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(5, by: 1, .heartbeatTimeout))])
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(5, by: 1, .heartbeatTimeout)))
    }

    func testClaimedThenTakeoverMakesTheTraderAndAnnouncesIt() {
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        p.persisted(.claimed(claim(1, by: 3, .startup)))
        XCTAssertEqual(p.persists, [.loadTakeover(epoch: 1)])
        XCTAssertEqual(p.sends, [], "nothing is announced before the takeover is loaded")
        XCTAssertEqual(p.peer.trader?.phase, .loading)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.knownEpoch, 1)
        XCTAssertFalse(p.peer.isTrader)

        p.persisted(.takeover(Takeover(epoch: 1)))
        XCTAssertTrue(p.peer.isTrader)
        XCTAssertEqual(p.effects.recipients(of: .coordinator(epoch: 1)), [0, 1, 2])
        XCTAssertEqual(Set(p.sends.map(\.clock)).count, 1)
    }

    func testAClaimResultForAnotherClaimIsIgnored() {
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        p.persisted(.claimed(claim(1, by: 3, .recovery)))
        XCTAssertEqual(p.persists, [])
        XCTAssertNil(p.peer.trader)
        p.persisted(.takeover(Takeover(epoch: 1)))
        XCTAssertNil(p.peer.trader, "a takeover without a claim makes no trader")
    }

    func testARefusedClaimIsRetriedWithTheStoresEpoch() {
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        p.persisted(.claimRefused(current: 6))
        XCTAssertEqual(p.peer.knownEpoch, 6)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(7, by: 3, .startup))], "the same election, past the store's epoch")
        p.persisted(.claimed(claim(7, by: 3, .startup)))
        p.persisted(.takeover(Takeover(epoch: 7)))
        XCTAssertTrue(p.peer.isTrader)
        XCTAssertEqual(p.effects.recipients(of: .coordinator(epoch: 7)), [0, 1, 2])
    }

    func testALowerPeerWhoseClaimIsRefusedAsksTheHigherPeersAgain() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.fire(.election)
        p.fire(.election)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 1, .startup))])
        p.persisted(.claimRefused(current: 3))
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .startup, initiator: 1, asked: 3))
        p.fire(.election)
        XCTAssertEqual(p.effects.recipients(of: .election), [2])
        p.fire(.election)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(4, by: 1, .startup))])
    }

    // MARK: COORDINATOR and epochs

    func testACoordinatorWithAnOlderEpochIsIgnored() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 5)
        p.receive(.coordinator(epoch: 4), from: 2, clock: 9)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.knownEpoch, 5)
        p.receive(.coordinator(epoch: 5), from: 2, clock: 10)
        XCTAssertEqual(p.peer.leader, 3, "one leader per epoch: a second claimant of epoch 5 is not followed")
        p.receive(.coordinator(epoch: 6), from: 2, clock: 11)
        XCTAssertEqual(p.peer.leader, 2)
        XCTAssertEqual(p.peer.knownEpoch, 6)
    }

    /// P2 follows P3 in epoch 2, P3 goes quiet: nobody above P2 is left to ask, so it claims epoch 3.
    private func claimingP2() -> PeerHarness {
        let p = PeerHarness.follower(id: 2, leader: 3, epoch: 2)
        p.fire(.heartbeat, at: .ms(800))
        XCTAssertEqual(p.effects.recipients(of: .election), [], "the silent trader is not waited for")
        XCTAssertEqual(p.persists, [.claimEpoch(claim(3, by: 2, .heartbeatTimeout))])
        return p
    }

    func testACoordinatorWhileClaiming() {
        let p = claimingP2()
        p.receive(.coordinator(epoch: 2), from: 3, clock: 20)
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(3, by: 2, .heartbeatTimeout)),
                       "an older epoch: our claim, if it lands, supersedes it")
        XCTAssertNil(p.peer.leader)

        p.receive(.coordinator(epoch: 3), from: 3, clock: 21)
        XCTAssertEqual(p.peer.leader, 3, "P3 came back and won epoch 3 in the store first")
        XCTAssertEqual(p.peer.electionPhase, .idle)

        p.persisted(.claimRefused(current: 3))
        XCTAssertEqual(p.persists, [], "no retry: a trader of the current epoch is known")
        XCTAssertEqual(p.peer.leader, 3)
    }

    func testANewerCoordinatorWhileClaimingWinsEvenIfTheClaimLands() {
        let p = claimingP2()
        p.receive(.coordinator(epoch: 4), from: 3, clock: 20)
        XCTAssertEqual(p.peer.leader, 3)
        p.persisted(.claimed(claim(3, by: 2, .heartbeatTimeout)))
        XCTAssertNil(p.peer.trader, "epoch 3 is already history")
        XCTAssertEqual(p.persists, [])
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.knownEpoch, 4)
    }

    func testAnIdlePeerFollowsALowerTraderOfANewerEpoch() {
        // It was not there to answer that election; the store's epoch decides.
        let p = PeerHarness.follower(id: 2, leader: 3, epoch: 1)
        p.receive(.coordinator(epoch: 2), from: 0, clock: 20)
        XCTAssertEqual(p.peer.leader, 0)
        XCTAssertEqual(p.peer.knownEpoch, 2)
    }

    func testALowerTraderDoesNotEndAHigherPeersElection() {
        // P3 fell silent and P2 claims at once; P1 meanwhile leads epoch 3 (it got the store first).
        let p = PeerHarness.follower(id: 2, leader: 3, epoch: 2)
        p.fire(.heartbeat, at: .ms(800))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(3, by: 2, .heartbeatTimeout))])
        p.heartbeat(from: 0, clock: 20, epoch: 3, leader: 1)
        p.receive(.coordinator(epoch: 3), from: 1, clock: 21)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.peer.knownEpoch, 3, "the epoch is learnt")
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(3, by: 2, .heartbeatTimeout)))
        p.persisted(.claimRefused(current: 3))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(4, by: 2, .heartbeatTimeout))], "past the store's epoch, at once")

        // P1 got epoch 4 first too: refused again, P2 tries once more after a timeout.
        p.receive(.coordinator(epoch: 4), from: 1, clock: 22)
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(4, by: 2, .heartbeatTimeout)))
        p.persisted(.claimRefused(current: 4))
        XCTAssertEqual(p.persists, [])
        p.fire(.election, at: .ms(1400))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(5, by: 2, .heartbeatTimeout))])
    }

    func testARecoveredHigherPeerTakesOverFromALowerTrader() {
        // P2 was sick while P0 won epoch 3 (P1 was sick too). Back, P2 hears of P0 from a
        // heartbeat before its own election ends; it still wins, as in the classic algorithm.
        let p = PeerHarness.follower(id: 2, leader: 3, epoch: 2)
        p.command(.fallSick(.silent), at: .ms(100))
        p.command(.recover, at: .ms(600))
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .recovery, initiator: 2))
        p.heartbeat(from: 0, clock: 30, epoch: 3, leader: 0, at: .ms(650))
        XCTAssertNil(p.peer.leader)
        p.fire(.election, at: .ms(900))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(4, by: 2, .recovery))])
        p.persisted(.claimed(claim(4, by: 2, .recovery)))
        p.persisted(.takeover(Takeover(epoch: 4)))
        XCTAssertTrue(p.peer.isTrader)
        XCTAssertEqual(p.effects.recipients(of: .coordinator(epoch: 4)), [0, 1, 3])
    }

    func testTheTraderAnswersElectionWithOKAndCoordinator() {
        let p = PeerHarness.trader(epoch: 2)
        p.receive(.election, from: 1, clock: 9)
        XCTAssertEqual(p.sent(to: 1), [.ok, .coordinator(epoch: 2)])
        XCTAssertEqual(p.sends.count, 2, "no election of its own")
        XCTAssertEqual(p.persists, [])
        XCTAssertTrue(p.peer.isTrader)
    }

    func testAFollowerAnswersALowerPeerAndTakesTheElectionOver() {
        let p = PeerHarness.follower(id: 2, leader: 3, epoch: 1)
        p.receive(.election, from: 0, clock: 9)
        XCTAssertEqual(p.sent(to: 0), [.ok])
        XCTAssertEqual(p.sent(to: 3), [.election])
        XCTAssertEqual(p.sent(to: 1), [])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .bully, initiator: 0))
    }

    func testTheFirstEpochWonThroughBullysCascadeIsClaimedAsTheStartupElection() {
        // P0's startup election reaches P3, which no one outranks: P0's note may land after
        // P3's claim, so the claim itself must say `startup`, not `bully`.
        let p = PeerHarness(id: 3, peers: all)
        p.start()
        p.receive(.election, from: 0, clock: 1)
        XCTAssertEqual(p.sent(to: 0), [.ok])
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 3, initiator: 0, .startup))])
        XCTAssertEqual(p.effects.electionNotes, [], "a cascade notes nothing: the initiator did")
    }

    func testALaterCascadeIsClaimedAsBully() {
        // Past epoch 1 the store records the reason of the election's first note.
        let p = PeerHarness.follower(id: 2, leader: 3, epoch: 1)
        p.receive(.election, from: 0, clock: 9)
        p.fire(.election, at: .ms(300))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(2, by: 2, initiator: 0, .bully))])
    }

    func testElectionFromAHigherPeerIsNotAnswered() {
        let p = PeerHarness(id: 1, peers: all)
        p.start()
        p.receive(.election, from: 2, clock: 3)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }
}
