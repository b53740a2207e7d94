import MarketCore
import XCTest

final class HelperTests: XCTestCase {
    func testMedianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        XCTAssertEqual([4.0, 1, 3, 2].median(), 2.5)
        XCTAssertEqual([3.0, 1, 2].median(), 2)
        XCTAssertEqual([7.0].median(), 7)
        XCTAssertNil([Double]().median())
    }

    /// Linear interpolation between closest ranks; nearest rank would give 10 for p99 of 1...10
    /// and 1 for p50 of [1, 2], where the median says 1.5.
    func testPercentileInterpolatesBetweenClosestRanksAndItsHalfIsTheMedian() {
        let samples = (1...10).map(Double.init).shuffled()
        XCTAssertEqual(samples.percentile(0), 1)
        XCTAssertEqual(samples.percentile(1), 10)
        XCTAssertEqual(samples.percentile(0.99)!, 9.91, accuracy: 1e-9)
        XCTAssertEqual(samples.percentile(0.5), samples.median())
        XCTAssertEqual([1.0, 2].percentile(0.5), 1.5)
        XCTAssertEqual([5.0].percentile(0.99), 5)
        XCTAssertEqual([3.0, 1].percentile(2), 3, "a fraction past 1 is clamped")
        XCTAssertNil([Double]().percentile(0.5))
    }

    func testDepositIDReadsBackItsSellerAndCount() {
        for (seller, seq) in [(0, 0), (3, 17), (255, 999_999)] {
            let id = Deposit.makeID(seller: seller, seq: seq)
            XCTAssertEqual(Deposit.seller(ofID: id), seller)
            XCTAssertEqual(Deposit.seq(ofID: id), seq)
        }
        XCTAssertNotEqual(Deposit.makeID(seller: 1, seq: 0), Deposit.makeID(seller: 0, seq: 1))
    }

    func testDurationInNanosecondsAndSeconds() {
        XCTAssertEqual(Duration.milliseconds(1500).nanoseconds, 1_500_000_000)
        XCTAssertEqual(Duration.nanoseconds(7).nanoseconds, 7)
        XCTAssertEqual(Duration.seconds(Int64.max).nanoseconds, Int64.max)
        XCTAssertEqual(Duration.milliseconds(250).seconds, 0.25)
    }

    func testTextTablePadsColumnsAndTrimsLineEnds() {
        let lines = TextTable.lines([["peer", "bought", "note"], ["P10", "7", ""], ["P2", "123", "ok"]],
                                    rightAligned: [1], minimumWidths: [5], indent: "  ")
        XCTAssertEqual(lines, [
            "  peer   bought  note",
            "  P10         7",
            "  P2        123  ok",
        ])
    }
}
