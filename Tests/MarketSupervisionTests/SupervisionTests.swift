import MarketCore
import MarketSupervision
import XCTest

/// The supervisor's decisions without processes: each case asserts the effects in order.
final class SupervisionTests: XCTestCase {
    let killed = PeerExit("signal 9")

    func testLaunchRecordsDownAtStartAndStartsTheOthersThenBeginsWhenAllAreReady() {
        var config = SupervisionHarness.config
        config.downAtStart = [4]
        var run = SupervisionHarness(config: config)
        XCTAssertEqual(run.step(.launch), [.record(.downAtStart, 4), .spawn(1, restart: false),
                                           .spawn(2, restart: false), .spawn(3, restart: false)])
        XCTAssertEqual(run.step(.peerReady(1)), [])
        XCTAssertEqual(run.step(.peerReady(2)), [])
        XCTAssertEqual(run.step(.peerReady(3)), [.tell(1, .begin), .tell(2, .begin), .tell(3, .begin),
                                                 .tell(3, .startElection)])
    }

    /// Every peer crashes at once (a crash sickness each): each is killed, comes back after
    /// `recoverAfter`, and the run is not called done while any of them is away.
    func testCrashStorm() {
        var run = SupervisionHarness()
        run.startRunning()
        run.settle()
        for id in [1, 2, 3] as [PeerID] {
            XCTAssertEqual(run.step(.peerSick(id, .crash), at: .seconds(3)), [.record(.crash, id), .kill(id)])
        }
        for id in [1, 2, 3] as [PeerID] {
            // Killed by the supervisor: no news, no quick exit counted, the usual wait.
            XCTAssertEqual(run.step(.peerExited(id, killed)), [.wake(after: .milliseconds(500), .restart(id))])
        }
        XCTAssertEqual(run.step(.tick(SupervisionHarness.settled)), [], "done while every peer is down")
        for id in [1, 2, 3] as [PeerID] {
            XCTAssertEqual(run.step(.wake(.restart(id)), at: .milliseconds(3500)),
                           [.record(.recover, id), .spawn(id, restart: true)])
        }
        XCTAssertEqual(run.step(.peerReady(1)), [])
        XCTAssertEqual(run.step(.peerReady(2)), [])
        XCTAssertEqual(run.step(.tick(SupervisionHarness.settled)), [], "done while P3 is starting")
        XCTAssertEqual(run.step(.peerReady(3)), [])
        XCTAssertEqual(run.step(.tick(SupervisionHarness.settled)), [.noteStopping])
    }

    /// A peer that keeps exiting right after it starts: each quick exit doubles the wait, and
    /// the fifth in a row fails the run.
    func testPeerThatKeepsDyingAtStart() {
        var run = SupervisionHarness()
        run.startRunning()
        var time = Duration.seconds(1)
        for exits in 1...4 {
            XCTAssertEqual(run.step(.peerExited(2, PeerExit("exit 1")), at: time), [
                .say("P2 exited unexpectedly (exit 1); treating it as a crash"), .record(.crash, 2),
                .wake(after: .milliseconds(500) * (1 << exits), .restart(2)),
            ])
            time += .milliseconds(100)
            XCTAssertEqual(run.step(.wake(.restart(2)), at: time), [.record(.recover, 2), .spawn(2, restart: true)])
            time += .seconds(1)
        }
        XCTAssertEqual(run.step(.peerExited(2, PeerExit("exit 1")), at: time), [
            .say("P2 exited unexpectedly (exit 1); treating it as a crash"), .record(.crash, 2),
            .say("P2 exited 5 times in a row within 2 s of starting; giving up"), .noteStopping,
        ])
        XCTAssertEqual(run.step(.historyWritten(.stopping)), [.closePipes, .wake(after: .seconds(2), .killAll), .closePipes])
        XCTAssertEqual(run.step(.peerExited(1, killed)), [.closePipes])
        XCTAssertEqual(run.step(.peerExited(3, killed)), [.finishRun(.failed)])
        XCTAssertEqual(run.step(.historyWritten(.end)), [.summarize(
            .failed, problem: "P2 exited 5 times in a row within 2 s of starting; giving up", seconds: time.seconds)])
        XCTAssertEqual(run.step(.summarized(passed: true)), [.done(exitCode: 1)])
    }

    /// An exit long after the start is a crash, not a quick exit: the count starts again.
    func testSlowExitResetsTheQuickExits() {
        var run = SupervisionHarness()
        run.startRunning()
        _ = run.step(.peerExited(2, PeerExit("exit 1")), at: .seconds(1))
        _ = run.step(.wake(.restart(2)), at: .seconds(2))
        XCTAssertEqual(run.step(.peerExited(2, PeerExit("exit 1")), at: .seconds(10)).last,
                       .wake(after: .milliseconds(500), .restart(2)))
    }

    func testPeerThatCannotStartFailsTheRun() {
        var run = SupervisionHarness()
        _ = run.step(.launch)
        XCTAssertEqual(run.step(.peerExited(1, PeerExit("exit 2", couldNotStart: true))),
                       [.say("P1 could not start (see the message above)"), .noteStopping])
    }

    /// The run stops (its time is up) while a peer is sick: its recovery, due later, no longer
    /// happens, and the end waits for no ledger.
    func testStopWhileSick() {
        var run = SupervisionHarness()
        run.startRunning()
        run.settle()
        XCTAssertEqual(run.step(.peerSick(2, .silent), at: .seconds(59)),
                       [.record(.sick, 2), .wake(after: .milliseconds(500), .recovery(2, process: 1))])
        XCTAssertEqual(run.step(.tick(SupervisionHarness.settled)), [], "done while P2 is sick")
        let late = RunTally(decided: 9, pending: 1, undelivered: 0, epoch: 1)
        let why = "time limit of 60.0 seconds reached with 9/10 decided, 1 pending, 0 undelivered"
        XCTAssertEqual(run.step(.tick(late), at: .milliseconds(60_001)), [.say(why), .noteStopping])
        XCTAssertEqual(run.step(.wake(.recovery(2, process: 1))), [], "a recovery after the end")
        XCTAssertEqual(run.step(.historyWritten(.stopping)), [.closePipes, .wake(after: .seconds(2), .killAll), .closePipes])
        XCTAssertEqual(run.step(.wake(.killAll)), [.killAll])
        for id in [1, 2] as [PeerID] { XCTAssertEqual(run.step(.peerExited(id, killed)), [.closePipes]) }
        XCTAssertEqual(run.step(.peerExited(3, killed)), [.finishRun(.failed)])
    }

    /// A pause of a sick peer adds nothing to the history, and its recovery waits for the continue.
    func testPauseWhileSickWaitsForTheContinue() {
        var run = SupervisionHarness()
        run.startRunning()
        _ = run.step(.peerSick(2, .silent))
        XCTAssertEqual(run.step(.peerPaused(2)), [.say("P2 was stopped from outside; it counts as sick until it continues")])
        XCTAssertEqual(run.step(.wake(.recovery(2, process: 1))), [])
        XCTAssertEqual(run.step(.peerContinued(2, missedStop: false)), [.record(.recover, 2), .tell(2, .recover)])
        XCTAssertEqual(run.step(.peerResumed(2)), [.lookAtPauses, .tell(2, .proceed)])
    }

    /// Interrupted while the peers write their ledgers: the end is noted again, the peers are
    /// let go; a second interrupt kills them all; the exit code says which signal.
    func testInterruptWhileLedgersAreWritten() {
        var run = SupervisionHarness()
        run.stopping()
        XCTAssertEqual(run.step(.peerStopped(1)), [])
        XCTAssertEqual(run.step(.interrupted(signal: 2)), [.say("interrupted; stopping every peer"), .noteStopping])
        XCTAssertEqual(run.step(.peerStopped(2)), [], "a ledger after the interrupt ends nothing yet")
        XCTAssertEqual(run.step(.historyWritten(.stopping)), [.closePipes, .wake(after: .seconds(2), .killAll), .closePipes])
        XCTAssertEqual(run.step(.interrupted(signal: 2)), [.say("interrupted again; killing every peer now"), .killAll])
        XCTAssertEqual(run.step(.peerExited(1, killed)), [.closePipes])
        XCTAssertEqual(run.step(.peerExited(2, killed)), [.closePipes], "exits while stopping an abandoned run are no crash")
        XCTAssertEqual(run.step(.peerExited(3, killed)), [.finishRun(.interrupted)])
        XCTAssertEqual(run.step(.historyWritten(.end)),
                       [.summarize(.interrupted, problem: "interrupted by signal 2", seconds: 0)])
        XCTAssertEqual(run.step(.summarized(passed: true)), [.done(exitCode: 130)])
    }

    /// A peer that dies after it was told to stop is a crash, started again at once to write
    /// its ledger, and told to stop when ready; five such deaths fail the run.
    func testPeerThatDiesWhileStopping() {
        var run = SupervisionHarness()
        run.stopping()
        XCTAssertEqual(run.step(.peerStopped(1)), [])
        XCTAssertEqual(run.step(.peerStopped(2)), [])
        for _ in 1...4 {
            XCTAssertEqual(run.step(.peerExited(3, killed)), [
                .say("P3 exited while stopping (signal 9); starting it again for its ledger"),
                .record(.crash, 3), .record(.recover, 3), .spawn(3, restart: true),
            ])
            XCTAssertEqual(run.step(.peerReady(3)), [.tell(3, .stop)])
        }
        XCTAssertEqual(run.step(.peerExited(3, killed)), [
            .say("P3 exited while stopping (signal 9); starting it again for its ledger"), .record(.crash, 3),
            .say("P3 exited 5 times while stopping before writing its ledger"), .noteStopping,
        ])
        XCTAssertEqual(run.step(.historyWritten(.stopping)), [.closePipes, .wake(after: .seconds(2), .killAll), .closePipes])
    }

    /// A restarted peer that writes its ledger lets the run complete.
    func testRunCompletesWhenEveryLedgerIsWritten() {
        var run = SupervisionHarness()
        run.stopping()
        _ = run.step(.peerExited(3, killed))
        XCTAssertEqual(run.step(.peerStopped(1)), [])
        XCTAssertEqual(run.step(.peerStopped(2)), [])
        XCTAssertEqual(run.step(.peerReady(3)), [.tell(3, .stop)])
        XCTAssertEqual(run.step(.peerStopped(3)), [.closePipes])
        XCTAssertEqual(run.step(.peerExited(1, PeerExit("exit 0"))), [.closePipes])
        XCTAssertEqual(run.step(.peerExited(2, PeerExit("exit 0"))), [.closePipes])
        XCTAssertEqual(run.step(.peerExited(3, PeerExit("exit 0"))), [.finishRun(.completed)])
        XCTAssertEqual(run.step(.historyFailed(.end, "disk I/O error")),
                       [.keepUnrecordedEnd(.completed, why: "disk I/O error"), .done(exitCode: 3)])
    }

    /// No peer hears of the end before the history has it: one that dies and is ready again
    /// meanwhile is told with the others.
    func testNoStopBeforeTheEndIsNoted() {
        var run = SupervisionHarness()
        run.startRunning()
        run.settle()
        XCTAssertEqual(run.step(.tick(SupervisionHarness.settled)), [.noteStopping])
        XCTAssertEqual(run.step(.peerExited(2, killed)).last, .spawn(2, restart: true))
        XCTAssertEqual(run.step(.peerReady(2)), [], "told to stop before the end is noted")
        XCTAssertEqual(run.step(.tick(nil), at: .milliseconds(2001)),
                       [.say("waiting to record that the run is ending (is the database locked?)")])
        XCTAssertEqual(run.step(.historyWritten(.stopping)), [.tell(1, .stop), .tell(2, .stop), .tell(3, .stop)])
        XCTAssertEqual(run.step(.tick(nil), at: .seconds(68)), [
            .say("P1 did not answer within 65.0 seconds before writing its ledger"), .noteStopping,
        ])
    }
}
