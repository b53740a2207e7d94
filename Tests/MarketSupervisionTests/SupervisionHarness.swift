import MarketCore
import MarketSupervision
import XCTest

/// A `Supervision` driven by hand: events in at a time the test sets, effects out.
struct SupervisionHarness {
    var machine: Supervision
    var now: Duration = .zero

    static let config = SupervisionConfig(
        livePeers: [1, 2, 3], downAtStart: [], firstElection: 3, recoverAfter: .milliseconds(500),
        totalRequests: 10, timeLimit: .seconds(60), ledgerWait: .seconds(65))

    /// A settled run: nothing pending, P3 the trader of epoch 1.
    static let settled = RunTally(decided: 10, pending: 0, undelivered: 0, epoch: 1)

    init(config: SupervisionConfig = Self.config) {
        machine = Supervision(config: config)
    }

    mutating func step(_ event: SupervisionEvent, at time: Duration? = nil) -> [SupervisionEffect] {
        if let time { now = time }
        return machine.step(event, now: now)
    }

    /// Every peer started and ready: the run is running.
    mutating func startRunning() {
        _ = step(.launch)
        for id in Self.config.livePeers { _ = step(.peerReady(id)) }
        XCTAssertEqual(machine.phase, .running)
    }

    /// Every peer says it is up; P3 trades in epoch 1, the others are done buying.
    mutating func settle() {
        for id in Self.config.livePeers {
            _ = step(.peerStanding(id, PeerStanding(up: true, traderEpoch: id == 3 ? 1 : nil, finishedBuying: id != 3)))
        }
    }

    /// A settled run, its end noted and every peer told to stop.
    mutating func stopping() {
        startRunning()
        settle()
        XCTAssertEqual(step(.tick(Self.settled)), [.noteStopping])
        XCTAssertEqual(step(.historyWritten(.stopping)), [.tell(1, .stop), .tell(2, .stop), .tell(3, .stop)])
    }
}
