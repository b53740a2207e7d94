@testable import MarketReport
import MarketCore
@testable import MarketStore
import XCTest

/// The stretch between a trader going silent and a peer noticing it.
final class UnnoticedSilenceTests: XCTestCase {
    typealias F = ReportFixtures

    func run(faults: [RunChronicle.Fault], elections: [RunChronicle.Election], requests: [RunChronicle.Request] = [],
             endMs: Double = 5000) -> ReportInput {
        let chronicle = RunChronicle(runID: 1, endMs: endMs, faults: faults, elections: elections, requests: requests, messageCount: 0,
                                     messages: [])
        let peers = [F.peer(0, .buyer, .salt), F.peer(1, .seller, .salt), F.peer(2, .seller, .boar)]
        return F.input(F.inspection(peers: peers, elections: elections), chronicle)
    }

    /// P2 trades from 20 ms, goes silent at 2800 ms; P0 notices and starts the election at 3112 ms.
    func silentTrader() -> ReportInput {
        run(faults: [F.fault(2, .sick, at: 2800), F.fault(2, .recover, at: 3600)],
            elections: [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                        F.election(2, winner: 1, from: 3112, to: 3150, by: 0)])
    }

    func testTheStretchRunsFromTheSilentTradersFaultToTheElectionsStartAndIsLabelled() throws {
        let input = silentTrader()
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false), (2, "P2", false)], chronicle: input.chronicle)
        XCTAssertEqual(lanes[2].unnoticed, [UnnoticedSilence(peer: 2, fromMs: 2800, toMs: 3112, noticedBy: 2, initiator: 0)])
        XCTAssertTrue(lanes[0].unnoticed.isEmpty && lanes[1].unnoticed.isEmpty)

        let page = ReportPage.html(input)
        let title = "P2 silent from 2.80 s to 3.11 s (312 ms) before any peer noticed: the election of epoch 2 began then, started by P0"
        let pattern = try NSRegularExpression(pattern: #"<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" class="unnoticed"><title>([^<]*)</title>"#)
        let matches = pattern.matches(in: page, range: NSRange(page.startIndex..., in: page))
        XCTAssertEqual(matches.count, 1, "one hatched stretch")
        let match = try XCTUnwrap(matches.first)
        let text = { (group: Int) in String(page[Range(match.range(at: group), in: page)!]) }
        let time = ReportContext(input).time
        XCTAssertEqual(Double(text(1))!, time(2800), accuracy: 0.06, "it starts at the fault")
        XCTAssertEqual(Double(text(2))!, time(3112) - time(2800), accuracy: 0.1, "it ends where the election starts")
        XCTAssertEqual(text(3), title)
        XCTAssertTrue(page.contains(">silent, not yet noticed 312 ms</text>"), "labelled on the timeline")
        XCTAssertTrue(page.contains("Hatched: a trader gone silent that no peer had noticed yet"), "the caption says how to read it")
    }

    func testOnlyASilentTraderHasOne() {
        // P2 trades and crashes; P1 goes silent while not trading.
        let input = run(faults: [F.fault(1, .sick, at: 1000), F.fault(2, .crash, at: 2800)],
                        elections: [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                                    F.election(2, winner: 1, from: 2805, to: 2810, by: 0, reason: "trader gone")])
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false), (2, "P2", false)], chronicle: input.chronicle)
        XCTAssertTrue(lanes.allSatisfy(\.unnoticed.isEmpty))
        XCTAssertFalse(ReportPage.html(input).contains("class=\"unnoticed\""))
    }

    func testATraderThatRecoversBeforeAnyoneNoticesWasNeverNoticed() {
        let input = run(faults: [F.fault(2, .sick, at: 2800), F.fault(2, .recover, at: 3000)],
                        elections: [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                                    F.election(2, winner: 2, from: 3001, to: 3002, by: 2, reason: "recovery")])
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false), (2, "P2", false)], chronicle: input.chronicle)
        XCTAssertEqual(lanes[2].unnoticed, [UnnoticedSilence(peer: 2, fromMs: 2800, toMs: 3000, noticedBy: nil)])
        XCTAssertTrue(ReportPage.html(input).contains(">silent, never noticed 200 ms</text>"))
    }

    /// P1 trades and goes silent; P2, higher, comes back a moment later and holds its recovery
    /// election: that ends the stretch, though no peer ever missed P1.
    func testAnElectionHeldForAnotherReasonOvertakesTheSilence() {
        let input = run(faults: [F.fault(2, .crash, at: 100), F.fault(1, .sick, at: 2800), F.fault(2, .recover, at: 2801)],
                        elections: [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                                    F.election(2, winner: 1, from: 300, to: 310, by: 0, reason: "trader gone"),
                                    F.election(3, winner: 2, from: 2802, to: 2803, by: 2, reason: "recovery")])
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false), (2, "P2", false)], chronicle: input.chronicle)
        XCTAssertEqual(lanes[1].unnoticed, [UnnoticedSilence(peer: 1, fromMs: 2800, toMs: 2802, noticedBy: 3, overtakenBy: "recovery",
                                                             initiator: 2)])
        let page = ReportPage.html(input)
        XCTAssertTrue(page.contains(">silent, not noticed 2 ms: a recovery election came first</text>"))
        XCTAssertTrue(page.contains("when the election of epoch 3 began for another reason (recovery, started by P2), before any peer had noticed"))
    }

    /// An election whose start was noted long before (by an election that ended without a new
    /// epoch) and that ended after the trader went silent: the trader traded until its fault,
    /// and when the silence was noticed is not in the history.
    func testAnElectionRecordedAsStartedBeforeTheSilenceDoesNotDateTheNotice() {
        let input = run(faults: [F.fault(2, .sick, at: 2400)],
                        elections: [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                                    F.election(2, winner: 1, from: 1700, to: 2850, by: 1)],
                        requests: [F.request(0, at: 2300, wait: 50)])
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false), (2, "P2", false)], chronicle: input.chronicle)
        XCTAssertEqual(lanes[2].traderSpans.map(\.toMs), [2400], "P2 decided in epoch 1 after 1.7 s: it traded until it fell silent")
        var expected = UnnoticedSilence(peer: 2, fromMs: 2400, toMs: 2850, noticedBy: 2, initiator: 1)
        expected.noticeUnrecorded = true
        XCTAssertEqual(lanes[2].unnoticed, [expected])
        XCTAssertTrue(ReportPage.html(input).contains(">silent 450 ms until e2 (when noticed: not recorded)</text>"))
    }

    /// Many silences close together: the labels shorten rather than hide one another.
    func testCrowdedLabelsShortenSoEveryStretchKeepsOne() {
        var faults: [RunChronicle.Fault] = []
        var elections = [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup")]
        for index in 0..<12 {
            let at = 1000 + Double(index) * 300
            faults += [F.fault(2, .sick, at: at), F.fault(2, .recover, at: at + 200)]
            elections.append(F.election(Epoch(2 * index + 2), winner: 1, from: at + 150, to: at + 160, by: 0))
            elections.append(F.election(Epoch(2 * index + 3), winner: 2, from: at + 201, to: at + 202, by: 2, reason: "recovery"))
        }
        let page = ReportPage.html(run(faults: faults, elections: elections, endMs: 6000))
        XCTAssertEqual(page.components(separatedBy: "class=\"unnoticed\"").count - 1, 12)
        XCTAssertEqual(page.components(separatedBy: ">unnoticed 150 ms</text>").count - 1, 12, "each keeps a short label")
        XCTAssertFalse(page.contains(">silent, not yet noticed 150 ms</text>"), "the long form would not fit them all")
    }
}
