@testable import MarketReport
import MarketCore
@testable import MarketStore
import XCTest

/// A buyer's lane in the timeline: its requests and how each ended.
final class BuyerLaneTests: XCTestCase {
    typealias F = ReportFixtures

    /// P0 and P3 buy; P2 trades throughout.
    func run(_ requests: [RunChronicle.Request], endMs: Double = 5000) -> ReportInput {
        let elections = [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup")]
        let chronicle = RunChronicle(runID: 1, endMs: endMs, faults: [], elections: elections, requests: requests, messageCount: 0,
                                     messages: [])
        let peers = [F.peer(0, .buyer, .salt), F.peer(1, .seller, .salt), F.peer(2, .seller, .boar), F.peer(3, .buyer, .salt)]
        return F.input(F.inspection(peers: peers, elections: elections), chronicle)
    }

    /// `<rect … class="req-…"><title>…` as (x, y, width, outcome, title).
    func bars(_ page: String) -> [(x: Double, y: Double, width: Double, outcome: String, title: String)] {
        let pattern = try! NSRegularExpression(
            pattern: #"<rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="[\d.]+" class="req-([a-z]+)( wait)?"><title>([^<]*)</title>"#)
        return pattern.matches(in: page, range: NSRange(page.startIndex..., in: page)).map { match in
            let text = { (group: Int) in String(page[Range(match.range(at: group), in: page)!]) }
            return (Double(text(1))!, Double(text(2))!, Double(text(3))!, text(4), text(6))
        }
    }

    func testEachRequestIsABarOnItsBuyersLaneFromReceivedToDecidedWithItsOutcome() {
        let requests = [
            F.request(0, at: 100, wait: 40, buyer: 0), F.request(1, at: 300, wait: 2, buyer: 0),
            F.request(2, at: 1000, wait: 5, status: .failed, buyer: 0, reason: "no seller"),
            F.request(0, at: 150, wait: 300, epochs: (1, 1), buyer: 3),
            F.request(1, at: 2000, wait: 1, status: .failed, buyer: 3, reason: "no seller"),
            F.request(2, at: 4900, wait: nil, buyer: 3),
        ]
        let input = run(requests)
        let page = ReportPage.html(input)
        let drawn = bars(page)
        XCTAssertEqual(drawn.count, requests.count, "one mark per request")
        XCTAssertEqual(drawn.filter { $0.outcome == "bought" }.count, 3)
        XCTAssertEqual(drawn.filter { $0.outcome == "failed" }.count, 2)
        XCTAssertEqual(drawn.filter { $0.outcome == "pending" }.count, 1)
        XCTAssertTrue(drawn.contains { $0.title == "P0-2 failed (no seller): received at 1 s, decided after 5 ms, in epoch 1" },
                      "the outcome and its reason are in the hover text")
        XCTAssertTrue(drawn.contains { $0.title == "P3-2 pending: received at 4.90 s, not decided when the history was read" })

        // Each bar lies on its buyer's lane and spans received → decided on the run's time axis.
        let context = ReportContext(input)
        let laneHeight = 22.0
        let top = 30.0
        for request in requests {
            let bar = drawn.first { $0.title.hasPrefix(request.requestID + " ") }!
            let row = Double(request.buyer == 0 ? 0 : 3)
            XCTAssertGreaterThanOrEqual(bar.y, top + laneHeight * row, request.requestID)
            XCTAssertLessThan(bar.y, top + laneHeight * (row + 1), request.requestID)
            XCTAssertEqual(bar.x, context.time(request.receivedMs), accuracy: 0.06, request.requestID)
            let to = request.decidedMs ?? 5000
            XCTAssertEqual(bar.width, max(context.time(to) - context.time(request.receivedMs), 1.2), accuracy: 0.1, request.requestID)
        }
        XCTAssertTrue(page.contains("each request is a bar from when the trader received it to when it was decided"), "the caption says so")
        XCTAssertTrue(page.contains("P3 buyer salt · P3: 3 requests, 1 bought, 1 failed (no seller ×1), 1 pending"),
                      "the lane's label gives its totals on hover")
    }

    /// 3 × 1000 requests: a strip of outcomes per buyer, with long waits and pending ones still marks.
    func testManyRequestsBecomeAStripOfOutcomesAndLongWaitsStayMarks() {
        var requests: [RunChronicle.Request] = []
        for index in 0..<1000 {
            let at = 20 + Double(index) * 9
            // P0's second half fails; every 250th of P3's requests waits 600 ms.
            requests.append(F.request(index, at: at, wait: 2, status: index >= 500 ? .failed : .bought, buyer: 0,
                                      reason: index >= 500 ? "no seller" : nil))
            requests.append(F.request(index, at: at + 1, wait: index % 250 == 0 ? 600 : 2, buyer: 3))
            requests.append(F.request(index, at: at + 2, wait: index == 999 ? nil : 2, buyer: 1))
        }
        let input = run(requests, endMs: 9100)
        let page = ReportPage.html(input)
        let drawn = bars(page)
        XCTAssertEqual(drawn.filter { $0.outcome != "pending" }.map(\.title).filter { $0.hasPrefix("P3-") }.count, 4)
        XCTAssertEqual(drawn.filter { $0.outcome != "pending" }.count, 4, "only P3's four long waits are drawn as bars")
        XCTAssertEqual(drawn.filter { $0.outcome == "pending" }.count, 1, "the pending request stays a mark")
        XCTAssertTrue(page.contains("3000 requests are too many for a bar each"), "the caption says it summarizes")
        XCTAssertTrue(page.contains("class=\"req-failed\"><title>P0: 1000 requests, 500 bought, 500 failed (no seller ×500)"),
                      "P0's strip has a failed part, with its totals and reasons on hover")
        XCTAssertFalse(page.contains("class=\"req-failed\"><title>P3:"), "P3 never failed: its strip is all bought")

        let activities = BuyerActivity.make(requests: input.chronicle.requests, endMs: 9100)
        let p0 = activities[0]!
        XCTAssertEqual(p0.columns.reduce(0) { $0 + $1.bought }, 500, "every decision is in a column")
        XCTAssertEqual(p0.columns.reduce(0) { $0 + $1.failed }, 500)
        let firstFailed = p0.columns.first { $0.failed > 0 }!
        XCTAssertEqual(Double(firstFailed.index) * p0.columnMs, 20 + 500 * 9, accuracy: p0.columnMs,
                       "failures start where the buyer's decisions began to fail")
        XCTAssertTrue(p0.columns.filter { $0.index > firstFailed.index }.allSatisfy { $0.bought == 0 })
        XCTAssertEqual(BuyerActivity.failedEighths(.init(index: 0, bought: 99, failed: 1)), 1, "one failure is never drawn as none")
        XCTAssertEqual(BuyerActivity.failedEighths(.init(index: 0, bought: 1, failed: 99)), 7, "one purchase is never drawn as none")
    }

    /// 128 peers, 96 buying 1000 requests each: the strips' columns are shared out so the page stays small.
    func testAStripPerBuyerStaysSmallAt128Peers() {
        // A share of failures that changes from one column to the next: no two neighbours merge.
        func fails(_ index: Int, _ buyer: Int) -> Bool { (index * index + buyer * 7) % 11 < index % 9 }
        var requests: [RunChronicle.Request] = []
        for buyer in 0..<96 {
            for index in 0..<1000 {
                let failed = fails(index, buyer)
                let at = Double(index) * 20 + Double(buyer) / 10
                requests.append(F.request(index, at: at, wait: 1 + Double(index % 3), status: failed ? .failed : .bought,
                                          buyer: PeerID(buyer), reason: failed ? "no seller" : nil))
            }
        }
        let activities = BuyerActivity.make(requests: requests, endMs: 20_100)
        XCTAssertEqual(activities.count, 96)
        XCTAssertTrue(activities.values.allSatisfy { $0.isSummarized && $0.columns.count <= BuyerActivity.columnBudget / 96 })
        let chronicle = RunChronicle(runID: 1, endMs: 20_100, faults: [], elections: [], requests: requests, messageCount: 0, messages: [])
        let peers: [PeerRecord] = (0..<128).map { (id: Int) in F.peer(PeerID(id), id < 96 ? .buyer : .seller, .salt) }
        let page = ReportPage.html(F.input(F.inspection(peers: peers), chronicle))
        let timeline = page[page.range(of: "<section id=\"timeline\"")!.lowerBound..<page.range(of: "<section id=\"latency\"")!.lowerBound]
        XCTAssertTrue(timeline.contains("class=\"req-failed\"><title>P95: 1000 requests,"), "the last buyer has its strip")
        print("timeline of 96 buyers × 1000 requests, every column mixed: \(timeline.utf8.count) bytes")
        XCTAssertLessThan(timeline.utf8.count, 450_000, "every column mixed, still a bounded timeline")
    }
}
