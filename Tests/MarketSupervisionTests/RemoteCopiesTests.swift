import MarketCore
import MarketSupervision
import XCTest

/// Two copies of a peer never run: every PID a remote peer reported and that is not known
/// dead is kept, and the login that finds its host again kills them all before the peer is
/// started anew.
final class RemoteCopiesTests: XCTestCase {
    let lost = PeerExit("exit 255", sessionLost: true)

    /// A crash sickness while the host is cut off: the kill over ssh never gets there, only
    /// the local session ends. The restart asks the host first, and the login that answers
    /// kills the old process before the new one starts.
    func testAKillThatDidNotGetThereIsFinishedByTheProbeBeforeTheRestart() {
        var run = SupervisionHarness()
        run.startRunning()
        XCTAssertEqual(run.step(.peerProcess(3, pid: 4101)), [])
        XCTAssertEqual(run.step(.peerSick(3, .crash), at: .seconds(3)), [.record(.crash, 3), .kill(3)])
        XCTAssertEqual(run.step(.peerExited(3, lost)), [.wake(after: .milliseconds(500), .restart(3))])
        XCTAssertEqual(run.step(.wake(.restart(3))), [.probeHost(3, killing: [4101])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: false)), [
            .say("P3's host does not answer; recording it unreachable (not a crash) until it does"),
            .record(.unreachable, 3), .wake(after: .seconds(1), .probe(3)),
        ])
        XCTAssertEqual(run.step(.wake(.probe(3))), [.probeHost(3, killing: [4101])], "asked again, still to kill it")
        XCTAssertEqual(run.step(.hostProbed(3, answered: true)), [
            .say("P3's host answers again; starting it anew"), .record(.reachable, 3), .spawn(3, restart: true),
        ])
        XCTAssertEqual(run.machine.peers[3]?.remoteCopies, [], "the login that answered killed it")
        XCTAssertEqual(run.step(.peerProcess(3, pid: 4202)), [])
        XCTAssertEqual(run.step(.peerExited(3, lost)), [.probeHost(3, killing: [4202])])
    }

    /// The host answers the restart's probe at once: the peer starts again as after any crash.
    func testAProbeThatAnswersBeforeTheRestartRecordsOnlyTheRecovery() {
        var run = SupervisionHarness()
        run.startRunning()
        _ = run.step(.peerProcess(3, pid: 4101))
        _ = run.step(.peerSick(3, .crash), at: .seconds(3))
        _ = run.step(.peerExited(3, lost))
        XCTAssertEqual(run.step(.wake(.restart(3))), [.probeHost(3, killing: [4101])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: true)), [.record(.recover, 3), .spawn(3, restart: true)])
    }

    /// A kill that got there, or a process that exited with its own status, leaves nothing to kill.
    func testACopyKnownDeadIsNotKilledAgain() {
        var run = SupervisionHarness()
        run.startRunning()
        _ = run.step(.peerProcess(3, pid: 4101))
        _ = run.step(.peerSick(3, .crash), at: .seconds(3))
        XCTAssertEqual(run.step(.copyKilled(3, pid: 4101)), [])
        _ = run.step(.peerExited(3, lost))
        XCTAssertEqual(run.step(.wake(.restart(3))), [.record(.recover, 3), .spawn(3, restart: true)])

        _ = run.step(.peerProcess(2, pid: 77))
        XCTAssertEqual(run.step(.peerExited(2, PeerExit("exit 1")), at: .seconds(9)), [
            .say("P2 exited unexpectedly (exit 1); treating it as a crash"), .record(.crash, 2),
            .wake(after: .milliseconds(500), .restart(2)),
        ])
        XCTAssertEqual(run.step(.wake(.restart(2))), [.record(.recover, 2), .spawn(2, restart: true)])
    }

    /// A session lost while the run stops for its ledgers: its host is asked first, as while
    /// running; unreachable is recorded, and the run waits for the peer's ledger.
    func testASessionLostWhileStoppingIsProbedBeforeTheRestartForItsLedger() {
        var run = SupervisionHarness()
        _ = run.step(.peerProcess(3, pid: 55))
        run.stopping()
        XCTAssertEqual(run.step(.peerExited(3, lost), at: .seconds(1)), [.probeHost(3, killing: [55])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: false)), [
            .say("P3's host does not answer; recording it unreachable (not a crash) until it does"),
            .record(.unreachable, 3), .wake(after: .seconds(1), .probe(3)),
        ])
        for id: PeerID in [1, 2] {
            XCTAssertEqual(run.step(.peerStopped(id)), [])
            XCTAssertEqual(run.step(.peerExited(id, PeerExit("exit 0"))), [], "the run waits for P3's ledger")
        }
        XCTAssertEqual(run.step(.wake(.probe(3)), at: .seconds(2)), [.probeHost(3, killing: [55])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: true)), [
            .say("P3's host answers again; starting it anew"), .record(.reachable, 3), .spawn(3, restart: true),
        ])
        XCTAssertEqual(run.step(.peerReady(3)), [.tell(3, .stop)])
        XCTAssertEqual(run.step(.peerStopped(3)), [.closePipes])
        XCTAssertEqual(run.step(.peerExited(3, PeerExit("exit 0"))), [.finishRun(.completed)])
    }

    func testAHostThatAnswersWhileStoppingRestartsThePeerForItsLedger() {
        var run = SupervisionHarness()
        run.stopping()
        XCTAssertEqual(run.step(.peerExited(3, lost)), [.probeHost(3, killing: [])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: true)), [
            .say("P3 lost its ssh session while stopping, but its host answers; starting it again for its ledger"),
            .record(.crash, 3), .record(.recover, 3), .spawn(3, restart: true),
        ])
    }

    /// A host that stays cut off while the run stops fails it once the ledgers' wait is over.
    func testAHostCutOffWhileStoppingFailsTheRunAfterTheLedgerWait() {
        var run = SupervisionHarness()
        run.stopping()
        _ = run.step(.peerExited(3, lost))
        _ = run.step(.hostProbed(3, answered: false))
        _ = run.step(.peerStopped(1))
        _ = run.step(.peerStopped(2))
        XCTAssertEqual(run.step(.tick(nil), at: .seconds(66)), [
            .say("waiting for the ledgers of P3 (is the database locked?)"),
            .say("P3 did not answer within 65.0 seconds before writing its ledger"), .noteStopping,
        ])
    }
}
