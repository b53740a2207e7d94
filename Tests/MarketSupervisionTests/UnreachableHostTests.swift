import MarketCore
import MarketSupervision
import XCTest

/// A peer over ssh whose session ended on its own: its host is asked before anything is
/// recorded; a host that does not answer makes the peer unreachable (once), not crashed.
final class UnreachableHostTests: XCTestCase {
    let lost = PeerExit("exit 255", sessionLost: true)

    func testACutHostIsRecordedUnreachableOnceAndItsPeerStartedAnewWhenItAnswers() {
        var run = SupervisionHarness()
        run.startRunning()
        run.settle()
        XCTAssertEqual(run.step(.peerExited(3, lost), at: .seconds(5)), [.probeHost(3, killing: [])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: false)), [
            .say("P3's host does not answer; recording it unreachable (not a crash) until it does"),
            .record(.unreachable, 3), .wake(after: .seconds(1), .probe(3)),
        ])
        for second in 6...9 {
            XCTAssertEqual(run.step(.wake(.probe(3)), at: .seconds(Int64(second))), [.probeHost(3, killing: [])])
            XCTAssertEqual(run.step(.hostProbed(3, answered: false)), [.wake(after: .seconds(1), .probe(3))],
                           "recorded once per cut")
        }
        XCTAssertEqual(run.step(.tick(SupervisionHarness.settled)), [], "done while P3 is unreachable")
        XCTAssertEqual(run.step(.wake(.probe(3)), at: .seconds(10)), [.probeHost(3, killing: [])])
        XCTAssertEqual(run.step(.hostProbed(3, answered: true)), [
            .say("P3's host answers again; starting it anew"), .record(.reachable, 3), .spawn(3, restart: true),
        ])
        XCTAssertEqual(run.machine.peers[3]?.state, .starting)
        XCTAssertEqual(run.step(.wake(.probe(3))), [], "a stale probe timer asks nothing once it is back")
    }

    func testALostSessionWhoseHostAnswersIsACrash() {
        var run = SupervisionHarness()
        run.startRunning()
        XCTAssertEqual(run.step(.peerExited(2, lost), at: .seconds(5)), [.probeHost(2, killing: [])])
        XCTAssertEqual(run.step(.hostProbed(2, answered: true)), [
            .say("P2 lost its ssh session, but its host answers; treating it as a crash"),
            .record(.crash, 2), .wake(after: .milliseconds(500), .restart(2)),
        ])
    }

    /// Killed by the supervisor (a crash sickness): known dead, whatever its session says.
    func testAPeerTheSupervisorKilledStaysACrash() {
        var run = SupervisionHarness()
        run.startRunning()
        XCTAssertEqual(run.step(.peerSick(3, .crash), at: .seconds(3)), [.record(.crash, 3), .kill(3)])
        XCTAssertEqual(run.step(.peerExited(3, lost)), [.wake(after: .milliseconds(500), .restart(3))])
    }

    /// A run that ends while a host is cut off does not wait for it, nor asks it again.
    func testAnAnswerAfterTheRunWasInterruptedChangesNothing() {
        var run = SupervisionHarness()
        run.startRunning()
        _ = run.step(.peerExited(3, lost), at: .seconds(5))
        _ = run.step(.hostProbed(3, answered: false))
        _ = run.step(.interrupted(signal: 2))
        XCTAssertEqual(run.step(.wake(.probe(3))), [])
        XCTAssertEqual(run.step(.hostProbed(3, answered: true)), [])
    }
}
