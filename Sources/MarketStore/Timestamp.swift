import Foundation

/// Every time in the history: ISO-8601 UTC text to the microsecond, fixed width
/// (`2026-11-29T20:41:14.210123Z`, 27 characters), so text order is time order. SQLite's own
/// date functions stop at the millisecond, so the text is made here, and durations are worked
/// out here from integer microseconds (julianday's doubles would blur a 250 µs wait).
public enum Timestamp {
    /// The fixed width of every time the history holds.
    public static let width = 27

    /// Year 0000 to 9999 keeps the text four digits of year wide; a date beyond is clamped.
    static let earliest = days(year: 0, month: 1, day: 1) * microsecondsPerDay
    static let latest = days(year: 10000, month: 1, day: 1) * microsecondsPerDay - 1
    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// Seconds from 1970 to 2001, the reference date `Date` counts from.
    static let referenceOffset: Int64 = 978_307_200

    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String { format(microseconds: microseconds(date)) }

    /// `date` to the nearest microsecond since 1970. Split at the whole second first so the
    /// fraction is exact before it is scaled; a fraction that rounds to 1 s carries over.
    public static func microseconds(_ date: Date) -> Int64 {
        let interval = date.timeIntervalSinceReferenceDate
        guard interval.isFinite else { return interval < 0 ? earliest : latest }
        let whole = interval.rounded(.down)
        let limit = Double(latest / 1_000_000)
        guard abs(whole) < limit else { return whole < 0 ? earliest : latest }
        let fraction = Int64(((interval - whole) * 1_000_000).rounded())
        return (Int64(whole) + referenceOffset) * 1_000_000 + fraction
    }

    /// The text for `microseconds` since 1970, clamped to years 0000–9999.
    public static func format(microseconds: Int64) -> String {
        let clamped = min(max(microseconds, earliest), latest)
        // Floor division: a time before 1970 has a negative day and a positive time of day.
        let (quotient, remainder) = clamped.quotientAndRemainder(dividingBy: microsecondsPerDay)
        let day = remainder < 0 ? quotient - 1 : quotient
        let ofDay = remainder < 0 ? remainder + microsecondsPerDay : remainder
        let (year, month, dayOfMonth) = civil(day: day)
        let second = ofDay / 1_000_000
        var text = ""
        text.reserveCapacity(width)
        func append(_ value: Int64, _ digits: Int) {
            let string = String(value)
            text += String(repeating: "0", count: max(0, digits - string.count)) + string
        }
        append(year, 4); text += "-"; append(month, 2); text += "-"; append(dayOfMonth, 2); text += "T"
        append(second / 3600, 2); text += ":"; append(second / 60 % 60, 2); text += ":"; append(second % 60, 2)
        text += "."; append(ofDay % 1_000_000, 6); text += "Z"
        return text
    }

    /// Microseconds since 1970 from a history time, or nil if `text` is not one. Reads the
    /// six-digit form and also the older ones: milliseconds (`….210Z`, rows written before
    /// migration 0005 and SQLite's `strftime('%f')` defaults), no fraction, a space for the `T`
    /// or no `Z` (SQLite's `datetime()`). Digits past the sixth are dropped.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for index in from..<(from + count) {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60 else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, let digit = number(index, 1) {
                if digits < 6 { fraction = fraction * 10 + digit }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { fraction *= 10 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "Z") { index += 1 }
        guard index == bytes.count else { return nil }
        return days(year: year, month: month, day: day) * microsecondsPerDay
            + ((hour * 60 + minute) * 60 + second) * 1_000_000 + fraction
    }

    /// An SQL expression for `column` in the six-digit form, a millisecond time
    /// (`….210Z`, 24 characters) widened to `….210000Z`: comparing it with text from `format`
    /// is comparing times, also in a database opened read-only before its migration to 0005.
    static func sqlSixDigits(_ column: String) -> String {
        "(CASE WHEN length(\(column)) = 24 THEN substr(\(column), 1, 23) || '000Z' ELSE \(column) END)"
    }

    // Howard Hinnant's days-from-civil and civil-from-days, proleptic Gregorian, exact in integers.

    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(day: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfYear - (153 * shifted + 2) / 5 + 1)
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
