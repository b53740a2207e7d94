import MarketCore
import XCTest

final class HelperTests: XCTestCase {
    func testMedianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        XCTAssertEqual([4.0, 1, 3, 2].median(), 2.5)
        XCTAssertEqual([3.0, 1, 2].median(), 2)
        XCTAssertEqual([7.0].median(), 7)
        XCTAssertNil([Double]().median())
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
