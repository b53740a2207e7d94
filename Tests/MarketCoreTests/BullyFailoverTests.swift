import MarketTestKit
import XCTest
@testable import MarketCore

/// Bully when a trader goes: leaving office, failure detection, coming back.
final class BullyFailoverTests: BullyTestCase {
    // MARK: Leaving office

    func testResign() {
        let trader = PeerHarness.trader(epoch: 2)
        trader.command(.fallSick(.resign))
        XCTAssertEqual(trader.effects.recipients(of: .resign(epoch: 2)), [0, 1, 2])
        XCTAssertEqual(trader.effects.timersCancelled, allTimers)
        XCTAssertEqual(trader.effects.sickness, [.resign])
        XCTAssertEqual(trader.peer.status, .sick(.resign))

        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 2)
        p.receive(.resign(epoch: 2), from: 3, clock: 9)
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .election), [3], "the highest first")
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .resign, initiator: 1, asked: 3))
    }

    func testAResignFromANonLeaderOrAnOldEpochIsIgnored() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 2)
        p.receive(.resign(epoch: 2), from: 2, clock: 9)
        p.receive(.resign(epoch: 1), from: 3, clock: 10)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.sends, [])
        XCTAssertEqual(p.peer.electionPhase, .idle)
    }

    func testASilentlySickTraderAnnouncesNothing() {
        let trader = PeerHarness.trader()
        trader.command(.fallSick(.silent))
        XCTAssertEqual(trader.sends, [])
        XCTAssertEqual(trader.effects.sickness, [.silent])
        trader.receive(.election, from: 1, clock: 50)
        XCTAssertEqual(trader.effects, [], "sick: deaf and mute")
        trader.fire(.heartbeat)
        XCTAssertEqual(trader.effects, [])
    }

    func testADeposedTraderStepsDown() {
        let p = PeerHarness.trader(epoch: 2)
        p.persisted(.deposed(current: 5))
        XCTAssertNil(p.peer.trader)
        XCTAssertNil(p.peer.leader)
        XCTAssertFalse(p.peer.isTrader)
        XCTAssertEqual(p.peer.knownEpoch, 5)
        p.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        XCTAssertEqual(p.persists, [], "no longer enqueues anything")
    }

    func testANewerCoordinatorMakesATraderStepDown() {
        let p = PeerHarness.trader(epoch: 2)
        p.receive(.coordinator(epoch: 2), from: 2, clock: 9)
        XCTAssertTrue(p.peer.isTrader, "same epoch from someone else: ignored")
        p.receive(.coordinator(epoch: 3), from: 2, clock: 10)
        XCTAssertFalse(p.peer.isTrader)
        XCTAssertNil(p.peer.trader)
        XCTAssertEqual(p.peer.leader, 2)
        XCTAssertEqual(p.peer.knownEpoch, 3)
    }

    func testANewerHeartbeatMakesATraderStepDown() {
        let p = PeerHarness.trader(epoch: 2)
        p.heartbeat(from: 0, clock: 9, epoch: 4, leader: 1)
        XCTAssertNil(p.peer.trader)
        XCTAssertEqual(p.peer.leader, 1)
        XCTAssertEqual(p.peer.knownEpoch, 4)
    }

    // MARK: Failure detection

    func testTheTradersSilenceIsDetectedByHeartbeatTimeout() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.heartbeat(from: 3, clock: 9, epoch: 1, leader: 3, at: .ms(500))
        p.fire(.heartbeat, at: .ms(1299))
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.effects.recipients(of: .election), [])
        XCTAssertEqual(p.effects.recipients(of: .heartbeat(epoch: 1, leader: 3)), [3], "a follower heartbeats the trader only")
        XCTAssertEqual(p.effects.timersSet[.heartbeat], p.timing.heartbeat)
        p.fire(.heartbeat, at: .ms(1300))
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .election), [2], "not the trader that fell silent")
        XCTAssertEqual(p.peer.electionPhase, .awaitingOK(reason: .heartbeatTimeout, initiator: 1))
    }

    func testAPeerWithoutATraderStartsAnElectionAfterSuspectAfter() {
        let p = PeerHarness(id: 1, peers: all)
        p.start(at: .ms(100))
        p.fire(.heartbeat, at: .ms(899))
        XCTAssertEqual(p.effects.recipients(of: .election), [])
        p.fire(.heartbeat, at: .ms(900))
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .heartbeatTimeout, initiator: 1, asked: 3))
    }

    func testAHeartbeatWithANewerEpochTeachesTheLeader() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
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
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 2)
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
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.effects.timersSet[.heartbeat], p.timing.heartbeat)
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .recovery, initiator: 1, asked: 3))
    }

    func testARecoveredTraderComesBackAsAPlainPeerAndClaimsANewEpoch() {
        let p = PeerHarness.trader(epoch: 2)
        p.command(.fallSick(.silent))
        p.command(.recover, at: .ms(500))
        XCTAssertNil(p.peer.trader)
        XCTAssertEqual(p.persists, [.claimEpoch(claim(3, by: 3, .recovery))])
    }

    func testRecoverOnlyMattersToASickPeer() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 2)
        p.command(.recover)
        XCTAssertEqual(p.effects, [])
        XCTAssertEqual(p.peer.leader, 3)
    }

    func testARestartedPeerReadsItsBooksThenStartsAnElection() {
        let p = PeerHarness(id: 1, peers: all)
        p.step(.restart)
        XCTAssertEqual(p.effects, [.persist(.loadBooks(peer: 1))])
        XCTAssertEqual(p.peer.status, .restoring)
        p.receive(.coordinator(epoch: 3), from: 3, clock: 30)
        XCTAssertEqual(p.effects, [], "not up before its books are back")
        p.persisted(.books(PeerBooks(peer: 1)))
        XCTAssertTrue(p.peer.isUp)
        XCTAssertEqual(p.effects.recipients(of: .heartbeat(epoch: 0, leader: nil)), [])
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .recovery, initiator: 1, asked: 3))
    }

    func testARestartedTraderThatHearsOfItsOldTermStillWinsANewOne() {
        // P3 was trader of epoch 4, crashed, and restarts knowing nothing (epoch 0). While its
        // claim of epoch 1 is with the store, a heartbeat from a peer that has not noticed the
        // crash names P3 as the trader of epoch 4. P3 holds no trader state, so it must not take
        // that for leadership: when the store refuses epoch 1, it claims epoch 5.
        let p = PeerHarness(id: 3, peers: all)
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
        let p = PeerHarness(id: 2, peers: all)
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
        let p = PeerHarness(id: 2, peers: all)
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
