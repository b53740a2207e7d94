/// A strict reading of JSON's grammar (RFC 8259), run before `JSONSerialization`, which on
/// Linux accepts a trailing comma and reports a truncated file without saying where: the
/// first error is given by line and column, as an editor shows them.
enum StrictJSON {
    struct SyntaxError: Error, Equatable {
        let line: Int
        let column: Int
        let expected: String
    }

    static func check(_ bytes: [UInt8]) throws(SyntaxError) {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        try reader.value(depth: 0)
        reader.skipSpace()
        if !reader.atEnd { throw reader.error("the end of the file after the top-level value") }
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var current: UInt8? { atEnd ? nil : bytes[index] }

        func error(_ expected: String) -> SyntaxError {
            var line = 1, column = 1
            for byte in bytes[..<min(index, bytes.count)] {
                if byte == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else if byte & 0xC0 != 0x80 {
                    column += 1
                }
            }
            let found = atEnd ? "the end of the file" : "'\(String(decoding: [bytes[index]], as: UTF8.self))'"
            return SyntaxError(line: line, column: column, expected: "expected \(expected), found \(found)")
        }

        mutating func skipSpace() {
            while let byte = current, [0x20, 0x09, 0x0A, 0x0D].contains(byte) { index += 1 }
        }

        mutating func value(depth: Int) throws(SyntaxError) {
            // Nesting deeper than any scenario needs is refused rather than followed down the stack.
            guard depth < 64 else { throw error("at most 64 levels of nesting") }
            switch current {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case let byte? where byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte):
                try number()
            default: throw error("a value")
            }
        }

        mutating func object(depth: Int) throws(SyntaxError) {
            if openedEmpty(closedBy: UInt8(ascii: "}")) { return }
            while true {
                guard current == UInt8(ascii: "\"") else { throw error("a key in double quotes") }
                try string()
                skipSpace()
                guard current == UInt8(ascii: ":") else { throw error("':' after the key") }
                index += 1
                skipSpace()
                try value(depth: depth + 1)
                guard try another(closedBy: UInt8(ascii: "}"), "',' or '}'") else { return }
            }
        }

        mutating func array(depth: Int) throws(SyntaxError) {
            if openedEmpty(closedBy: UInt8(ascii: "]")) { return }
            while true {
                try value(depth: depth + 1)
                guard try another(closedBy: UInt8(ascii: "]"), "',' or ']'") else { return }
            }
        }

        /// Steps past an opening bracket and the space after it; true if the closing bracket
        /// follows at once (and steps past it too): an empty object or array.
        mutating func openedEmpty(closedBy closing: UInt8) -> Bool {
            index += 1
            skipSpace()
            guard current == closing else { return false }
            index += 1
            return true
        }

        /// After a member of an object or an array: true if a comma says another follows,
        /// false past the closing bracket; anything else is an error naming what was expected.
        mutating func another(closedBy closing: UInt8, _ expected: String) throws(SyntaxError) -> Bool {
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
                skipSpace()
                return true
            }
            guard current == closing else { throw error(expected) }
            index += 1
            return false
        }

        mutating func string() throws(SyntaxError) {
            index += 1
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    index += 1
                    guard let escaped = current else { throw error("an escape") }
                    if escaped == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            index += 1
                            guard let digit = current, isHexDigit(digit) else { throw error("four hex digits after \\u") }
                        }
                    } else if !Array("\"\\/bfnrt".utf8).contains(escaped) {
                        throw error("an escape (\\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\u)")
                    }
                    index += 1
                case 0..<0x20:
                    throw error("no control character inside a string (write \\n, \\t, …)")
                default:
                    index += 1
                }
            }
            throw error("'\"' closing the string")
        }

        mutating func literal(_ word: String) throws(SyntaxError) {
            for byte in word.utf8 {
                guard current == byte else { throw error(word) }
                index += 1
            }
        }

        mutating func number() throws(SyntaxError) {
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
            } else {
                guard digits() > 0 else { throw error("a digit") }
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw error("a digit after the decimal point") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw error("a digit in the exponent") }
            }
        }

        mutating func digits() -> Int {
            var count = 0
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                index += 1
                count += 1
            }
            return count
        }

        func isHexDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
    }
}
