import XCTest
@testable import MarketCore

/// Bully election with epochs, driven through `Peer.step`. Peers are 0...3 unless said otherwise.
final class BullyElectionTests: XCTestCase {
    private let all: [PeerID] = [0, 1, 2, 3]
    private let allTimers: [PeerTimer] = [.heartbeat, .election, .coordinator, .request, .deposit]

    private func claim(_ epoch: Epoch, by leader: PeerID, initiator: PeerID? = nil, _ reason: ElectionReason) -> ElectionClaim {
        ElectionClaim(epoch: epoch, leader: leader, initiator: initiator ?? leader, reason: reason)
    }

    // MARK: Starting an election

    func testTheHighestPeerClaimsAtOnce() {
        let p = PeerDriver(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 3, .startup))])
        XCTAssertEqual(p.sends, [], "nobody to send ELECTION to")
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(1, by: 3, .startup)))
    }

    func testAnElectionStartedForAReasonIsNotedInTheStoreButABullyCascadeIsNot() {
        let p = PeerDriver(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.effects.electionNotes, [1], "the leader record shows an election in progress")

        let q = PeerDriver(id: 2, peers: all)
        q.start()
        q.receive(.election, from: 1, clock: 3)
        XCTAssertEqual(q.effects.electionNotes, [], "the same election, already noted by its initiator")
        XCTAssertEqual(q.sent(to: 3), [.election])
    }

    func testACoordinatorFromALowerPeerMakesAnIdleHigherPeerHoldItsOwnElection() {
        let p = PeerDriver(id: 2, peers: all)
        p.start()
        p.receive(.coordinator(epoch: 1), from: 1, clock: 5)
        XCTAssertEqual(p.peer.leader, 1, "it follows the sitting trader meanwhile")
        XCTAssertEqual(p.sent(to: 3), [.election])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .lowerTrader, initiator: 2))
    }

    func testALonePeerElectsItself() {
        let p = PeerDriver(id: 0, peers: [0])
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

    func testALowerPeerSendsElectionToEveryHigherPeerOnly() {
        let p = PeerDriver(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.sends.count, 2)
        XCTAssertEqual(Set(p.sends.map(\.clock)).count, 1, "one send event")
        XCTAssertEqual(p.effects.timersSet, [.election: p.timing.electionTimeout])
        XCTAssertEqual(p.persists, [])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 1))
    }

    func testAnElectionInProgressIsNotStartedTwice() {
        let p = PeerDriver(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.command(.startElection)
        XCTAssertEqual(p.sends, [])
        p.receive(.election, from: 0, clock: 1)
        XCTAssertEqual(p.sends.map(\.message), [.ok], "answers, but its own election already runs")
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 1))
    }

    // MARK: OK and COORDINATOR

    func testOKThenCoordinator() {
        let p = PeerDriver(id: 1, peers: all)
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
        let p = PeerDriver(id: 1, peers: all)
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
        let p = PeerDriver(id: 2, peers: all)
        p.start()
        p.receive(.ok, from: 3, clock: 1)
        XCTAssertEqual(p.peer.electionPhase, .idle)
        p.command(.startElection)
        p.receive(.ok, from: 1, clock: 2)
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 2))
        XCTAssertEqual(p.effects.timersSet, [:])
    }

    func testOKThenCoordinatorTimeoutStartsANewElection() {
        let q = PeerDriver(id: 1, peers: all)
        q.start()
        q.receive(.election, from: 0, clock: 1)  // P1 takes over P0's election
        XCTAssertEqual(q.peer.electionPhase, .awaitingOK(reason: .bully, initiator: 0))
        q.receive(.ok, from: 3, clock: 5)
        q.fire(.coordinator, at: .ms(1000))
        XCTAssertEqual(q.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(q.peer.electionPhase, .awaitingOK(reason: .coordinatorTimeout, initiator: 0))
        XCTAssertEqual(q.effects.timersSet, [.election: q.timing.electionTimeout])
        // Nobody answers this time: P1 claims, still on behalf of P0's election.
        q.fire(.election, at: .ms(1300))
        XCTAssertEqual(q.persists, [.claimEpoch(claim(1, by: 1, initiator: 0, .coordinatorTimeout))])
    }

    func testACoordinatorTimerOutsideThatPhaseDoesNothing() {
        let p = PeerDriver(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.fire(.coordinator)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 1))
    }

    // MARK: Claiming the epoch

    func testElectionTimeoutClaimsTheNextEpoch() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 4)
        p.fire(.heartbeat, at: .ms(700))
        XCTAssertEqual(p.effects.recipients(of: .election), [], "P3 is not overdue yet")
        p.fire(.heartbeat, at: .ms(800))
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertNil(p.peer.leader)
        p.fire(.election, at: .ms(1100))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(5, by: 1, .heartbeatTimeout))])
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(5, by: 1, .heartbeatTimeout)))
    }

    func testClaimedThenTakeoverMakesTheTraderAndAnnouncesIt() {
        let p = PeerDriver(id: 3, peers: all)
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
        let p = PeerDriver(id: 3, peers: all)
        p.start()
        p.command(.startElection)
        p.persisted(.claimed(claim(1, by: 3, .recovery)))
        XCTAssertEqual(p.persists, [])
        XCTAssertNil(p.peer.trader)
        p.persisted(.takeover(Takeover(epoch: 1)))
        XCTAssertNil(p.peer.trader, "a takeover without a claim makes no trader")
    }

    func testARefusedClaimIsRetriedWithTheStoresEpoch() {
        let p = PeerDriver(id: 3, peers: all)
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
        let p = PeerDriver(id: 1, peers: all)
        p.start()
        p.command(.startElection)
        p.fire(.election)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 1, .startup))])
        p.persisted(.claimRefused(current: 3))
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .startup, initiator: 1))
        p.fire(.election)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(4, by: 1, .startup))])
    }

    // MARK: COORDINATOR and epochs

    func testACoordinatorWithAnOlderEpochIsIgnored() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 5)
        p.receive(.coordinator(epoch: 4), from: 2, clock: 9)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.knownEpoch, 5)
        p.receive(.coordinator(epoch: 5), from: 2, clock: 10)
        XCTAssertEqual(p.peer.leader, 3, "one leader per epoch: a second claimant of epoch 5 is not followed")
        p.receive(.coordinator(epoch: 6), from: 2, clock: 11)
        XCTAssertEqual(p.peer.leader, 2)
        XCTAssertEqual(p.peer.knownEpoch, 6)
    }

    /// P2 follows P3 in epoch 2, P3 goes quiet, P2's ELECTION goes unanswered: P2 claims epoch 3.
    private func claimingP2() -> PeerDriver {
        let p = PeerDriver.follower(id: 2, leader: 3, epoch: 2)
        p.fire(.heartbeat, at: .ms(800))
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        p.fire(.election, at: .ms(1100))
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
        let p = PeerDriver.follower(id: 2, leader: 3, epoch: 1)
        p.receive(.coordinator(epoch: 2), from: 0, clock: 20)
        XCTAssertEqual(p.peer.leader, 0)
        XCTAssertEqual(p.peer.knownEpoch, 2)
    }

    func testALowerTraderDoesNotEndAHigherPeersElection() {
        // P2 is electing; P1 meanwhile leads epoch 3 (P2 did not answer its election).
        let p = PeerDriver.follower(id: 2, leader: 3, epoch: 2)
        p.fire(.heartbeat, at: .ms(800))
        p.heartbeat(from: 0, clock: 20, epoch: 3, leader: 1)
        p.receive(.coordinator(epoch: 3), from: 1, clock: 21)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.peer.knownEpoch, 3, "the epoch is learnt")
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .heartbeatTimeout, initiator: 2))
        p.fire(.election, at: .ms(1100))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(4, by: 2, .heartbeatTimeout))])

        // P1 got epoch 4 first: the claim is refused and P2 tries again past it.
        p.receive(.coordinator(epoch: 4), from: 1, clock: 22)
        XCTAssertEqual(p.peer.electionPhase, .claiming(claim(4, by: 2, .heartbeatTimeout)))
        p.persisted(.claimRefused(current: 4))
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        p.fire(.election, at: .ms(1400))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(5, by: 2, .heartbeatTimeout))])
    }

    func testARecoveredHigherPeerTakesOverFromALowerTrader() {
        // P2 was sick while P0 won epoch 3 (P1 was sick too). Back, P2 hears of P0 from a
        // heartbeat before its own election ends; it still wins, as in the classic algorithm.
        let p = PeerDriver.follower(id: 2, leader: 3, epoch: 2)
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
        let p = PeerDriver.trader(epoch: 2)
        p.receive(.election, from: 1, clock: 9)
        XCTAssertEqual(p.sent(to: 1), [.ok, .coordinator(epoch: 2)])
        XCTAssertEqual(p.sends.count, 2, "no election of its own")
        XCTAssertEqual(p.persists, [])
        XCTAssertTrue(p.peer.isTrader)
    }

    func testAFollowerAnswersALowerPeerAndTakesTheElectionOver() {
        let p = PeerDriver.follower(id: 2, leader: 3, epoch: 1)
        p.receive(.election, from: 0, clock: 9)
        XCTAssertEqual(p.sent(to: 0), [.ok])
        XCTAssertEqual(p.sent(to: 3), [.election])
        XCTAssertEqual(p.sent(to: 1), [])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .bully, initiator: 0))
    }

    func testElectionFromAHigherPeerIsNotAnswered() {
        let p = PeerDriver(id: 1, peers: all)
        p.start()
        p.receive(.election, from: 2, clock: 3)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }

    // MARK: Leaving office

    func testResign() {
        let trader = PeerDriver.trader(epoch: 2)
        trader.command(.fallSick(.resign))
        XCTAssertEqual(trader.effects.recipients(of: .resign(epoch: 2)), [0, 1, 2])
        XCTAssertEqual(trader.effects.timersCancelled, allTimers)
        XCTAssertEqual(trader.effects.sickness, [.resign])
        XCTAssertEqual(trader.peer.status, .sick(.resign))

        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 2)
        p.receive(.resign(epoch: 2), from: 3, clock: 9)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .resign, initiator: 1))
    }

    func testAResignFromANonLeaderOrAnOldEpochIsIgnored() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 2)
        p.receive(.resign(epoch: 2), from: 2, clock: 9)
        p.receive(.resign(epoch: 1), from: 3, clock: 10)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }

    func testASilentlySickTraderAnnouncesNothing() {
        let trader = PeerDriver.trader()
        trader.command(.fallSick(.silent))
        XCTAssertEqual(trader.sends, [])
        XCTAssertEqual(trader.effects.sickness, [.silent])
        trader.receive(.election, from: 1, clock: 50)
        XCTAssertEqual(trader.effects, [], "sick: deaf and mute")
        trader.fire(.heartbeat)
        XCTAssertEqual(trader.effects, [])
    }

    func testADeposedTraderStepsDown() {
        let p = PeerDriver.trader(epoch: 2)
        p.persisted(.deposed(current: 5))
        XCTAssertNil(p.peer.trader)
        XCTAssertNil(p.peer.leader)
        XCTAssertFalse(p.peer.isTrader)
        XCTAssertEqual(p.peer.knownEpoch, 5)
        p.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        XCTAssertEqual(p.persists, [], "no longer enqueues anything")
    }

    func testANewerCoordinatorMakesATraderStepDown() {
        let p = PeerDriver.trader(epoch: 2)
        p.receive(.coordinator(epoch: 2), from: 2, clock: 9)
        XCTAssertTrue(p.peer.isTrader, "same epoch from someone else: ignored")
        p.receive(.coordinator(epoch: 3), from: 2, clock: 10)
        XCTAssertFalse(p.peer.isTrader)
        XCTAssertNil(p.peer.trader)
        XCTAssertEqual(p.peer.leader, 2)
        XCTAssertEqual(p.peer.knownEpoch, 3)
    }

    func testANewerHeartbeatMakesATraderStepDown() {
        let p = PeerDriver.trader(epoch: 2)
        p.heartbeat(from: 0, clock: 9, epoch: 4, leader: 1)
        XCTAssertNil(p.peer.trader)
        XCTAssertEqual(p.peer.leader, 1)
        XCTAssertEqual(p.peer.knownEpoch, 4)
    }

    // MARK: Failure detection

    func testTheTradersSilenceIsDetectedByHeartbeatTimeout() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 1)
        p.heartbeat(from: 3, clock: 9, epoch: 1, leader: 3, at: .ms(500))
        p.fire(.heartbeat, at: .ms(1299))
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.effects.recipients(of: .election), [])
        XCTAssertEqual(p.effects.recipients(of: .heartbeat(epoch: 1, leader: 3)), [3], "a follower heartbeats the trader only")
        XCTAssertEqual(p.effects.timersSet[.heartbeat], p.timing.heartbeat)
        p.fire(.heartbeat, at: .ms(1300))
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .heartbeatTimeout, initiator: 1))
    }

    func testAPeerWithoutATraderStartsAnElectionAfterSuspectAfter() {
        let p = PeerDriver(id: 1, peers: all)
        p.start(at: .ms(100))
        p.fire(.heartbeat, at: .ms(899))
        XCTAssertEqual(p.effects.recipients(of: .election), [])
        p.fire(.heartbeat, at: .ms(900))
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .heartbeatTimeout, initiator: 1))
    }

    func testAHeartbeatWithANewerEpochTeachesTheLeader() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 1)
        p.heartbeat(from: 0, clock: 9, epoch: 1, leader: 2)
        XCTAssertEqual(p.peer.leader, 3, "same epoch: no news")
        p.heartbeat(from: 0, clock: 10, epoch: 2, leader: 2)
        XCTAssertEqual(p.peer.leader, 2)
        XCTAssertEqual(p.peer.knownEpoch, 2)
        p.heartbeat(from: 0, clock: 11, epoch: 3, leader: nil)
        XCTAssertEqual(p.peer.leader, 2, "a heartbeat that names no leader teaches nothing")
        XCTAssertEqual(p.peer.knownEpoch, 2)
    }

    // MARK: Coming back

    func testARecoveredPeerStartsAnElection() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 2)
        p.command(.fallSick(.silent), at: .ms(100))
        XCTAssertEqual(p.effects.timersCancelled, allTimers)
        XCTAssertEqual(p.peer.status, .sick(.silent))
        p.receive(.coordinator(epoch: 3), from: 2, clock: 30, at: .ms(200))
        XCTAssertEqual(p.effects, [])
        XCTAssertEqual(p.peer.knownEpoch, 2, "nothing is heard while sick")

        p.command(.recover, at: .ms(600))
        XCTAssertTrue(p.peer.isUp)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .heartbeat(epoch: 2, leader: nil)), [], "its election speaks for it")
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.effects.timersSet[.heartbeat], p.timing.heartbeat)
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .recovery, initiator: 1))
    }

    func testARecoveredTraderComesBackAsAPlainPeerAndClaimsANewEpoch() {
        let p = PeerDriver.trader(epoch: 2)
        p.command(.fallSick(.silent))
        p.command(.recover, at: .ms(500))
        XCTAssertNil(p.peer.trader)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(3, by: 3, .recovery))])
    }

    func testRecoverOnlyMattersToASickPeer() {
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 2)
        p.command(.recover)
        XCTAssertEqual(p.effects, [])
        XCTAssertEqual(p.peer.leader, 3)
    }

    func testARestartedPeerReadsItsBooksThenStartsAnElection() {
        let p = PeerDriver(id: 1, peers: all)
        p.step(.restart)
        XCTAssertEqual(p.effects, [.persist(.loadBooks(peer: 1))])
        XCTAssertEqual(p.peer.status, .restoring)
        p.receive(.coordinator(epoch: 3), from: 3, clock: 30)
        XCTAssertEqual(p.effects, [], "not up before its books are back")
        p.persisted(.books(PeerBooks(peer: 1)))
        XCTAssertTrue(p.peer.isUp)
        XCTAssertEqual(p.effects.recipients(of: .heartbeat(epoch: 0, leader: nil)), [])
        XCTAssertEqual(p.effects.recipients(of: .election), [2, 3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .recovery, initiator: 1))
    }

    func testARestartedTraderThatHearsOfItsOldTermStillWinsANewOne() {
        // P3 was trader of epoch 4, crashed, and restarts knowing nothing (epoch 0). While its
        // claim of epoch 1 is with the store, a heartbeat from a peer that has not noticed the
        // crash names P3 as the trader of epoch 4. P3 holds no trader state, so it must not take
        // that for leadership: when the store refuses epoch 1, it claims epoch 5.
        let p = PeerDriver(id: 3, peers: all)
        p.step(.restart)
        p.persisted(.books(PeerBooks(peer: 3)))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(1, by: 3, .recovery))])
        p.heartbeat(from: 1, clock: 40, epoch: 4, leader: 3)
        XCTAssertNotEqual(p.peer.leader, 3, "a leader without a trader would answer nobody")
        p.persisted(.claimRefused(current: 4))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(5, by: 3, .recovery))])
        p.persisted(.claimed(claim(5, by: 3, .recovery)))
        p.persisted(.takeover(Takeover(epoch: 5)))
        XCTAssertTrue(p.peer.isTrader)
    }

    func testARestartedLowerPeerThatHearsOfItsOldTermStillElects() {
        // The same with P2, trader of epoch 4 while P3 was down: it learns epoch 4 and its
        // election claims epoch 5 straight away.
        let p = PeerDriver(id: 2, peers: all)
        p.step(.restart)
        p.persisted(.books(PeerBooks(peer: 2)))
        p.heartbeat(from: 1, clock: 40, epoch: 4, leader: 2)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.peer.knownEpoch, 4)
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .recovery, initiator: 2))
        p.fire(.election, at: .ms(300))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(5, by: 2, .recovery))])
    }

    func testARestartedPeerTakenForTheTraderElectsEvenIfItFollowsSomeoneElse() {
        // P2 led epoch 5, crashed and restarted knowing nothing. An old COORDINATOR(3) from a
        // zombie P3 (its answer to an ELECTION sent long ago) makes P2 follow P3. The others
        // still take P2 for the trader of epoch 5 and say so in their heartbeats: P2 must not
        // go on following P3 (nobody would trade), it elects.
        let p = PeerDriver(id: 2, peers: all)
        p.step(.restart)
        p.persisted(.books(PeerBooks(peer: 2)))
        p.receive(.ok, from: 3, clock: 30)
        p.receive(.coordinator(epoch: 3), from: 3, clock: 31)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.peer.electionPhase, .idle)

        p.heartbeat(from: 0, clock: 40, epoch: 5, leader: 2, at: .ms(100))
        XCTAssertNil(p.peer.leader, "epoch 5 is newer than P3's 3")
        XCTAssertEqual(p.peer.knownEpoch, 5)
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .recovery, initiator: 2))
        p.fire(.election, at: .ms(400))
        XCTAssertEqual(p.persists, [.claimEpoch(claim(6, by: 2, .recovery))])
    }
}
