@testable import MarketReport
import MarketCore
@testable import MarketStore
import XCTest

final class ReportPageTests: XCTestCase {
    typealias F = ReportFixtures

    /// Three peers; P2 trades, falls sick, P1 takes over its queue, P2 recovers and wins again.
    func sickTraderRun(status: RunStatus = .completed) -> ReportInput {
        let elections = [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                         F.election(2, winner: 1, from: 3000, to: 3150, by: 0),
                         F.election(3, winner: 2, from: 3600, to: 3602, by: 2, reason: "recovery")]
        let chronicle = RunChronicle(
            runID: 1, endMs: 5000,
            faults: [F.fault(2, .sick, at: 2800), F.fault(2, .recover, at: 3590)],
            elections: elections,
            requests: (0..<40).map { F.request($0, at: 100 + Double($0) * 100, wait: $0 == 27 ? 400 : 2, epochs: $0 == 27 ? (1, 2) : (1, 1)) }
                + [F.request(40, at: 4900, wait: nil)],
            messageCount: 3,
            messages: [F.message(1, "election", 0, 1, clocks: (10, 12), at: 3001), F.message(2, "ok", 1, 0, clocks: (13, 14), at: 3002),
                       F.message(3, "buy", 0, 1, clocks: (20, 20), at: 3200)])
        let peers = [F.peer(0, .buyer, .salt), F.peer(1, .seller, .salt), F.peer(2, .seller, .boar)]
        return F.input(F.inspection(status: status, peers: peers, elections: elections), chronicle)
    }

    func testEverySectionIsThereWithItsCaptionAndData() {
        let page = ReportPage.html(sickTraderRun())
        let sections = ReportSections(page)
        XCTAssertEqual(sections.counts.keys.sorted(), ["books", "latency", "rate", "spacetime", "timeline"])
        XCTAssertEqual(sections.count("timeline"), 3)
        XCTAssertEqual(sections.count("latency"), 40, "a point per decided request")
        XCTAssertEqual(sections.count("spacetime"), 3)
        XCTAssertEqual(page.components(separatedBy: "<p class=\"caption\">").count - 1, 5)
        XCTAssertTrue(page.contains("Grey ticks on top: 1 requests not decided"), "the pending request is said")
        XCTAssertFalse(page.contains("<script"))
        XCTAssertFalse(page.contains("still going"), "a finished run is not called live")
    }

    /// The history keeps microseconds: the latency section shows waits under a millisecond
    /// as what they are, in its figures, its points and its lowest decade.
    func testSubMillisecondWaitsShowInMicroseconds() {
        let requests = (0..<10).map { F.request($0, at: 100 + Double($0) * 10, wait: $0 < 9 ? 0.25 : 0.8) }
        let chronicle = RunChronicle(runID: 1, endMs: 300, faults: [], elections: [F.election(1, winner: 1, from: 10, to: 20)],
                                     requests: requests, messageCount: 0, messages: [])
        let page = ReportPage.html(F.input(F.inspection(peers: [F.peer(0, .buyer, .salt), F.peer(1, .seller, .salt)],
                                                        elections: chronicle.elections), chronicle))
        XCTAssertTrue(page.contains("10 decided: median 250 µs, p99 751 µs, max 800 µs, mean 305 µs"), "the latency figures (p99 interpolated)")
        XCTAssertTrue(page.contains("P0-0 bought after 250 µs"), "a point's title")
        XCTAssertTrue(page.contains(">100 µs</text>"), "the lowest decade of the axis")
        XCTAssertEqual(Duration.text(ms: 0.25), "250 µs")
        XCTAssertEqual(Duration.text(ms: 0.001), "1 µs")
        XCTAssertEqual(Duration.text(ms: 0), "0 ms")
        XCTAssertEqual(Duration.text(ms: 1.5), "1.5 ms")
    }

    func testALiveRunSaysWhatItShows() {
        XCTAssertTrue(ReportPage.html(sickTraderRun(status: .running)).contains("still going when the report was written"))
    }

    func testTextFromTheHistoryIsEscaped() {
        var input = sickTraderRun()
        input.inspection.run.scenario = "<img src=x onerror=alert(1)>&"
        let page = ReportPage.html(input)
        XCTAssertFalse(page.contains("<img"))
        XCTAssertTrue(page.contains("&lt;img src=x onerror=alert(1)&gt;&amp;"))
    }

    func testLanesFollowTheFaultsAndTheTraderSpansTheElections() {
        let input = sickTraderRun()
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false), (2, "P2", false), (3, "P3", true)],
                                   chronicle: input.chronicle)
        let p2 = lanes[2]
        XCTAssertEqual(p2.spans.map(\.state), [.sick, .recovering])
        XCTAssertEqual(p2.spans.map(\.fromMs), [2800, 3590])
        XCTAssertEqual(p2.spans.map(\.toMs), [3590, 3602], "recovering until the next election ends")
        XCTAssertEqual(p2.traderSpans.map(\.epoch), [1, 3])
        XCTAssertEqual(p2.traderSpans.first?.toMs, 2800, "a trader's span ends when it falls sick")
        XCTAssertEqual(lanes[1].traderSpans.map(\.fromMs), [3150])
        XCTAssertEqual(lanes[1].traderSpans.map(\.toMs), [3600], "until the next election begins")
        XCTAssertEqual(lanes[3].spans.map(\.state), [.down])
        XCTAssertEqual(lanes[3].spans.first?.toMs, 5000)
    }

    /// A host cut off: its peer's lane is unreachable from `unreachable` to `reachable`, not up.
    func testAnUnreachablePeersLaneRunsUntilItsHostAnswers() {
        var input = sickTraderRun()
        input.chronicle.faults = [F.fault(1, .unreachable, at: 1000), F.fault(1, .reachable, at: 2500)]
        let lanes = PeerLane.lanes(peers: [(0, "P0", false), (1, "P1", false)], chronicle: input.chronicle)
        XCTAssertEqual(lanes[1].spans.map(\.state), [.unreachable])
        XCTAssertEqual(lanes[1].spans.map(\.fromMs), [1000])
        XCTAssertEqual(lanes[1].spans.map(\.toMs), [2500])
    }

    func testTheSpaceTimeDiagramShowsAClockViolationInRed() {
        let page = ReportPage.html(sickTraderRun())
        XCTAssertTrue(page.contains("1 in red do not"), "message 3 was received at the clock it was sent with")
        XCTAssertEqual(page.components(separatedBy: "class=\"msg bad\"").count - 1, 1)
        XCTAssertTrue(page.contains("Only the receiving side is traced"))
    }

    func testManyRequestsAreSummarizedAndTheCaptionSaysSo() {
        var input = sickTraderRun()
        input.chronicle.requests = (0..<5000).map {
            F.request($0, at: Double($0), wait: $0 % 1000 == 0 ? 500 : 1 + Double($0 % 7), epochs: $0 % 1000 == 0 ? (1, 2) : (2, 2))
        }
        input.chronicle.endMs = 600_000
        let page = ReportPage.html(input)
        XCTAssertTrue(page.contains("5000 decided requests are too many for a point each"))
        XCTAssertEqual(page.components(separatedBy: "class=\"takeover\"").count - 1, 5, "every takeover stays a point")
        XCTAssertTrue(page.contains("averaged over bins of 1 s"), "600 s in at most 600 bars")
        XCTAssertLessThan(page.utf8.count, 200_000)
    }

    func testWindowsParseAndBadOnesAreRefusedInOneLine() throws {
        XCTAssertEqual(try ReportWindow(parsing: "election").window, .election(epoch: nil, before: 16, after: 32))
        XCTAssertEqual(try ReportWindow(parsing: "election:4").window, .election(epoch: 4, before: 16, after: 32))
        XCTAssertEqual(try ReportWindow(parsing: "1.5-2").window, .time(fromMs: 1500, toMs: 2000))
        for bad in ["", "election:0", "election:x", "2-1", "soon", "-1-2"] {
            XCTAssertThrowsError(try ReportWindow(parsing: bad), bad) { error in
                XCTAssertFalse("\(error)".contains("\n"))
                XCTAssertTrue("\(error)".hasPrefix("--window '\(bad)' is not a window"))
            }
        }
    }

    func testEpochListsStayShort() {
        XCTAssertEqual(BooksSection.compactEpochs([1, 2, 3, 7]), "1–3, 7")
        XCTAssertEqual(BooksSection.compactEpochs(Array(stride(from: 1, through: 81, by: 2))), "41 epochs: 1, 3, 5 … 79, 81")
    }
}
