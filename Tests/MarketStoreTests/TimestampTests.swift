import Foundation
@testable import MarketStore
import XCTest

/// The history's time text: six fractional digits, fixed width, read back exactly.
final class TimestampTests: XCTestCase {
    func testTimesAreISO8601UTCWithSixDigitsFixedWidth() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1.001)), "1970-01-01T00:00:01.001000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1.000250)), "1970-01-01T00:00:01.000250Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSinceReferenceDate: 817_677_674.210123)), "2026-11-29T20:41:14.210123Z")
        XCTAssertEqual(Timestamp.format(microseconds: 1_795_984_874_000_001), "2026-11-29T20:41:14.000001Z")
        XCTAssertEqual(Timestamp.now().count, Timestamp.width)
    }

    func testAFractionThatRoundsToAWholeSecondCarriesIntoTheSecondMinuteDayAndYear() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0.9999996)), "1970-01-01T00:00:01.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0.9999994)), "1970-01-01T00:00:00.999999Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 59.9999996)), "1970-01-01T00:01:00.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 86_399.9999996)), "1970-01-02T00:00:00.000000Z")
        // 2027-01-01T00:00:00Z is 820,454,400 s after 2001: the carry crosses a year.
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSinceReferenceDate: 820_454_399.9999996)), "2027-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSinceReferenceDate: 820_454_399.9999994)), "2026-12-31T23:59:59.999999Z")
    }

    func testTimesBefore1970HaveAPositiveFraction() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: -0.25)), "1969-12-31T23:59:59.750000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: -0.0000006)), "1969-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: -0.0000004)), "1970-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(microseconds: -1), "1969-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp.format(microseconds: -86_400_000_000), "1969-12-31T00:00:00.000000Z")
    }

    func testFarDatesKeepFourDigitsOfYearAndClampBeyondThem() {
        XCTAssertEqual(Timestamp.format(Date.distantFuture), "4001-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 253_402_300_799.5)), "9999-12-31T23:59:59.500000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 951_782_400)), "2000-02-29T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(microseconds: -62_135_596_800_000_000), "0001-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1e12)), "9999-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: -1e12)), "0000-01-01T00:00:00.000000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: .infinity)), "9999-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp.format(microseconds: .max), "9999-12-31T23:59:59.999999Z")
        XCTAssertEqual(Timestamp.format(microseconds: .min), "0000-01-01T00:00:00.000000Z")
    }

    func testTextOrderIsTimeOrder() {
        let times: [Int64] = [-86_400_000_001, -1, 0, 1, 999_999, 1_000_000, 1_795_984_874_210_000, 1_795_984_874_210_001,
                              1_795_984_874_210_123, 1_795_984_874_211_000, 253_402_300_799_999_999]
        let texts = times.map { Timestamp.format(microseconds: $0) }
        XCTAssertEqual(texts, texts.sorted())
        XCTAssertEqual(Set(texts.map(\.count)), [Timestamp.width])
    }

    func testParseReadsBackWhatFormatWritesAndTheOlderForms() {
        for micros: Int64 in [0, 1, -1, 250, 1_795_984_874_210_123, -62_135_596_800_000_000, 253_402_300_799_999_999, 951_782_400_000_000] {
            XCTAssertEqual(Timestamp.parse(Timestamp.format(microseconds: micros)), micros, "\(micros)")
        }
        XCTAssertEqual(Timestamp.parse("2026-11-29T20:41:14.210Z"), 1_795_984_874_210_000, "milliseconds, before migration 0005")
        XCTAssertEqual(Timestamp.parse("2026-11-29T20:41:14Z"), 1_795_984_874_000_000)
        XCTAssertEqual(Timestamp.parse("2026-11-29 20:41:14"), 1_795_984_874_000_000, "SQLite's datetime()")
        XCTAssertEqual(Timestamp.parse("2026-11-29T20:41:14.2101239Z"), 1_795_984_874_210_123, "past the sixth digit is dropped")
        for bad in ["", "2026-11-29", "2026-11-29T20:41:14.Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                    "2026-11-29T24:00:00Z", "2026-11-29T20:41:14.210Zx", "2026-11-29T20:41:1a.210Z", "lots of text here!!"] {
            XCTAssertNil(Timestamp.parse(bad), bad)
        }
    }

    /// A 250 µs wait is 250 µs, not julianday's 0 or 0.000250000xxx.
    func testDurationsFromTheTextAreExact() throws {
        let received = try XCTUnwrap(Timestamp.parse("2026-11-29T20:41:14.999875Z"))
        let decided = try XCTUnwrap(Timestamp.parse("2026-11-29T20:41:15.000125Z"))
        XCTAssertEqual(decided - received, 250)
    }
}
