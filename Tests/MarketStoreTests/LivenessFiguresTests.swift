import MarketCore
import MarketStore
import XCTest

/// `LivenessFigures` on a hand-made history of two partitions (times in milliseconds from an
/// arbitrary start; the default timing: suspect 300 ms, so a heal stays a cause for 900 ms;
/// settle goal 150 + 50 ms). P5 trades; P0, P1 and P2 buy.
final class LivenessFiguresTests: XCTestCase {
    static func at(_ milliseconds: Int64) -> String {
        Timestamp.format(microseconds: 1_800_000_000_000_000 + milliseconds * 1000)
    }

    static func election(_ epoch: Epoch, _ reason: ElectionReason, winner: PeerID, from: Int64, to: Int64) -> ElectionRecord {
        ElectionRecord(epoch: epoch, initiator: 0, winner: winner, reason: reason.rawValue, startedAt: at(from), finishedAt: at(to))
    }

    static func nemesis(_ id: Int64, _ action: String, links: String, _ time: Int64) -> NemesisRecord {
        NemesisRecord(nemesisID: id, action: action, groups: "", links: links, at: at(time))
    }

    static func request(_ id: String, decided: Int64?) -> RequestRecord {
        let parsed = RequestID(id)!
        return RequestRecord(requestID: id, buyer: parsed.buyer, product: .salt, lamport: Int64(parsed.seq),
                             status: decided == nil ? .pending : .bought, epochReceived: 1, epochDecided: decided == nil ? nil : 1,
                             receivedAt: at((decided ?? 3150) - 50), decidedAt: decided.map(at))
    }

    let elections = [
        election(1, .startup, winner: 5, from: 0, to: 100),
        election(2, .heartbeatTimeout, winner: 2, from: 1400, to: 1500),     // during the first cut
        election(3, .lowerTrader, winner: 5, from: 2100, to: 2300),          // P5 back from the far side
        election(4, .coordinatorTimeout, winner: 5, from: 2500, to: 2600),   // within 900 ms of the heal
        election(5, .traderGone, winner: 2, from: 3300, to: 3400),           // P5 crashed during the second cut
        election(6, .heartbeatTimeout, winner: 2, from: 5000, to: 5100),     // no cause open any more
    ]
    let faults = [
        FaultRecord(faultID: 1, peer: 5, kind: .crash, at: at(3200)),
        FaultRecord(faultID: 2, peer: 5, kind: .recover, at: at(3600)),
    ]
    let nemesis = [
        nemesis(1, "partition", links: "0>1,0>2,1>0,1>5,2>0,2>5,5>1,5>2", 1000),   // 0 5 | 1 2
        nemesis(2, "heal", links: "", 2000),
        nemesis(3, "partition", links: "0>1,0>5,1>0,1>2,2>1,2>5,5>0,5>2", 3000),   // 0 2 | 1 5
        nemesis(4, "heal", links: "", 4000),
    ]
    let requests = [
        request("P0-0", decided: 200), request("P0-1", decided: 300), request("P1-0", decided: 400),
        request("P0-2", decided: 500), request("P0-3", decided: 600), request("P0-4", decided: 700),
        request("P0-5", decided: 800), request("P0-6", decided: 900),
        request("P2-0", decided: 1100), request("P0-7", decided: 1600),
        request("P1-1", decided: 2200), request("P0-8", decided: 2700), request("P0-9", decided: 2800),
        request("P0-10", decided: 2900), request("P0-11", decided: 3500), request("P2-1", decided: nil),
    ]

    func figures(trades: [String]? = nil) -> LivenessFigures {
        LivenessFigures(elections: elections, faults: faults, nemesis: nemesis, requests: requests,
                        tradeRequestIDs: trades ?? requests.filter { $0.status == .bought }.map(\.requestID), timing: Timing())
    }

    func testEachElectionIsChargedToTheLatestCauseOpenWhenItStarted() {
        let causes = figures().elections
        XCTAssertEqual(causes.startup, 1)
        XCTAssertEqual(causes.partition, 1)
        XCTAssertEqual(causes.higherPeerBack, 1)
        XCTAssertEqual(causes.heal, 1)
        XCTAssertEqual(causes.lostTrader, 1, "the crash came after the second cut began, so it is the latest cause")
        XCTAssertEqual(causes.unexplained, 1, "1 s after the last heal, P5 recovered: nothing explains epoch 6")
        XCTAssertEqual(figures().actions, 2)
        XCTAssertEqual(figures().electionsPerAction, 2.5)
    }

    func testAHealSettlesAtTheFirstDecisionAfterItsElectionsWithNoneInFlight() {
        let figures = figures()
        // 2200 came while epoch 3 was in flight; epoch 4, charged to the heal, ended at 2600.
        XCTAssertEqual(figures.settleSeconds.count, 1)
        XCTAssertEqual(figures.settleSeconds.first ?? 0, 0.7, accuracy: 1e-9)
        XCTAssertEqual(figures.healsNotSettled, 1, "nothing was decided after the second heal")
        XCTAssertEqual(figures.settleGoalSeconds, 0.2, accuracy: 1e-9)
    }

    func testRatesCountTheCutsAgainstTheTimeOutsideEveryFault() throws {
        let figures = figures()
        // Cuts within the span 150…3500 ms: 1000 + 500 ms, holding decisions at 1100, 1600 and 3500.
        XCTAssertEqual(figures.cutSeconds, 1.5, accuracy: 1e-9)
        XCTAssertEqual(figures.decidedWhileCut, 3)
        XCTAssertEqual(try XCTUnwrap(figures.decidedPerSecondWhileCut), 2, accuracy: 1e-9)
        // Outside the cuts, the unsettled 2000…2700 and the failover 3200…3500: 1150 ms, 11 decisions.
        XCTAssertEqual(try XCTUnwrap(figures.decidedPerSecondOutsideFaults), 11 / 1.15, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(figures.rateRatio), 2 / (11 / 1.15), accuracy: 1e-9)
    }

    func testCutOffBuyersRequestsAreFollowedAcrossTheCut() {
        var trades = requests.filter { $0.status == .bought }.map(\.requestID)
        XCTAssertEqual(figures(trades: trades).cutOffRequests.decidedTwice, 0)
        trades.append("P1-1")
        let cutOff = figures(trades: trades).cutOffRequests
        // First cut: P1-1 (decided after the heal), P2-0 (during it); second: P0-11 (during it), P2-1 (never).
        XCTAssertEqual(cutOff.held, 4)
        XCTAssertEqual(cutOff.decidedAfterHeal, 1)
        XCTAssertEqual(cutOff.decidedWhileCut, 2)
        XCTAssertEqual(cutOff.neverDecided, 1)
        XCTAssertEqual(cutOff.decidedTwice, 1)
    }

    func testAFlakyActionsRedrawsAreOneActionAndARunWithoutANemesisHasNone() {
        let flaky = [Self.nemesis(1, "flaky", links: "0>1", 1000), Self.nemesis(2, "flaky", links: "2>5", 1250),
                     Self.nemesis(3, "heal", links: "", 2000)]
        let figures = LivenessFigures(elections: elections, faults: [], nemesis: flaky, requests: requests,
                                      tradeRequestIDs: [], timing: Timing())
        XCTAssertEqual(figures.actions, 1)
        XCTAssertEqual(figures.cutOffRequests.held, 1, "P2 is cut from P5 by the redraw: its P2-0 was in hand")
        let calm = LivenessFigures(elections: elections, faults: [], nemesis: [], requests: requests, tradeRequestIDs: [],
                                   timing: Timing())
        XCTAssertEqual(calm.actions, 0)
        XCTAssertNil(calm.decidedPerSecondWhileCut)
        XCTAssertNil(calm.electionsPerAction)
        XCTAssertEqual(calm.elections.unexplained, 4, "with no fault, only the first election and a Bully one have a cause")
    }
}
