@testable import MarketReport
import MarketCore
@testable import MarketStore
import XCTest

/// Every epoch can be found on the timeline: a label over its election, or in the list below.
final class EpochListTests: XCTestCase {
    typealias F = ReportFixtures

    func page(_ elections: [RunChronicle.Election], endMs: Double) -> String {
        let chronicle = RunChronicle(runID: 1, endMs: endMs, faults: [], elections: elections, requests: [], messageCount: 0, messages: [])
        let peers = [F.peer(0, .buyer, .salt), F.peer(1, .seller, .salt), F.peer(2, .seller, .boar)]
        return ReportPage.html(F.input(F.inspection(peers: peers, elections: elections), chronicle))
    }

    func labels(_ page: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #"class="elabel"[^>]*>(e\d+)<title>"#)
        return pattern.matches(in: page, range: NSRange(page.startIndex..., in: page)).map {
            String(page[Range($0.range(at: 1), in: page)!])
        }
    }

    func testCrowdedLabelsLeaveAnOpenListOfEveryEpochWithItsTraderStartAndReason() {
        // 60 elections 50 ms apart in a 10 s run: a few units apart on the drawing.
        let elections: [RunChronicle.Election] = (1...60).map { (epoch: Int) in
            let at = Double(epoch) * 50
            return F.election(Epoch(epoch), winner: PeerID(epoch % 3), from: at, to: at + 5, by: 0,
                              reason: epoch == 1 ? "startup" : "heartbeat timeout")
        }
        let page = page(elections, endMs: 10_000)
        let drawn = labels(page)
        XCTAssertLessThan(drawn.count, 60, "the labels crowd")
        XCTAssertTrue(page.contains("\(60 - drawn.count) of the 60 epoch labels would overlap and are left out of the drawing"))
        XCTAssertTrue(page.contains("<details class=\"epochs\" open><summary>Epochs (60)"), "the list is open")
        for election in elections {
            XCTAssertTrue(page.contains("<tr><td>e\(election.epoch)</td><td>P\(election.winner)</td><td>\(Duration.text(ms: election.startedMs!))</td>"
                                        + "<td>\(election.reason!)</td>"), "epoch \(election.epoch) is listed")
        }
    }

    func testLabelsThatFitAreAllDrawnAndTheListStaysClosed() {
        // e1 and e2 are 20 ms apart in a 5 s run: one row would drop e2, the second row keeps it.
        let elections = [F.election(1, winner: 2, from: 10, to: 20, by: 0, reason: "startup"),
                         F.election(2, winner: 2, from: 30, to: 40, by: 1, reason: "bully"),
                         F.election(3, winner: 1, from: 3000, to: 3150, by: 0)]
        let page = page(elections, endMs: 5000)
        XCTAssertEqual(labels(page), ["e1", "e2", "e3"])
        XCTAssertTrue(page.contains("<details class=\"epochs\"><summary>Elections (3)"), "closed: the drawing names every epoch")
        XCTAssertFalse(page.contains("epoch labels would overlap"))
    }
}
