import Foundation
import XCTest

/// Hostile numbers and files on `market run`: each is refused before anything starts, with
/// one line that names the field, a non-zero exit, and no trap.
extension EndToEndTests {
    func assertRefused(_ arguments: [String], saying expected: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try temporaryDatabase()
        let outcome = try market(["run"] + arguments + ["--db", path], deadline: 20)
        XCTAssertNotEqual(outcome.status, 0, "refused: \(arguments)", file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(expected), "\(arguments): \(outcome.stderr)", file: file, line: line)
        for trap in ["Fatal error", "Backtrace", "Illegal instruction", "\u{1B}["] {
            XCTAssertFalse(outcome.stderr.contains(trap), "\(arguments): \(outcome.stderr)", file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing started: \(arguments)",
                       file: file, line: line)
    }

    func scenarioFile(_ json: String) throws -> String {
        let path = try temporaryDatabase().replacingOccurrences(of: "market.db", with: "scenario.json")
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func test_badNumbersOnTheCommandLine_areRefusedByName() throws {
        try assertRefused(["--scenario", "normal", "--peers", "-5"], saying: "--peers must be")
        try assertRefused(["--scenario", "normal", "--peers", "100000"], saying: "--peers must be")
        try assertRefused(["--scenario", "single_pair", "--requests", "-1"], saying: "--requests must be")
        for bad in ["nan", "inf", "1e300", "-1"] {
            try assertRefused(["--scenario", "single_pair", "--recover-after", bad], saying: "--recover-after must be")
            try assertRefused(["--scenario", "single_pair", "--time-limit", bad], saying: "--time-limit must be")
        }
        try assertRefused(["--scenario", "single_pair", "--sick-rate", "nan"], saying: "--sick-rate must be")
    }

    func test_emptyDatabasePath_isRefused() throws {
        let outcome = try market(["run", "--scenario", "single_pair", "--db", ""], deadline: 20)
        XCTAssertNotEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stderr.contains("--db must name a file"), outcome.stderr)
    }

    func test_badScenarioFiles_areRefusedByField() throws {
        let cases: [(String, String)] = [
            (#"{"base": "single_pair", "time_limit_s": 1e300}"#, "'time_limit_s' must be"),
            (#"{"base": "single_pair", "time_limit_s": 0}"#, "'time_limit_s' must be"),
            (#"{"base": "single_pair", "price_cents": 9000000000000000000}"#, "price must be at most"),
            (#"{"base": "single_pair", "quantity": 1000000, "price_cents": 100000000, "requests": 1000000}"#,
             "would overflow"),
            (#"{"base": "single_pair", "seed": -1}"#, "'seed' must be"),
            (#"{"base": "single_pair", "seed": 1.5}"#, "'seed' must be"),
            (#"{"base": "single_pair", "seed": true}"#, "'seed' must be"),
            (#"{"base": "single_pair", "requests": true}"#, "'requests' must be an integer"),
            (#"{"base": "single_pair", "name": "two\nlines\u001b[31m"}"#, "printable characters"),
            (#"{"base": "single_pair", "timing_ms": {"heartbeat": 1e12}}"#, "timing 'heartbeat'"),
            (#"{"peers": [{"role": "buyer", "product": "salt", "down_at_start": "no"}]}"#, "'down_at_start'"),
        ]
        for (json, expected) in cases {
            try assertRefused(["--scenario", try scenarioFile(json)], saying: expected)
        }
        let crowd = (0..<300).map { _ in #"{"role": "seller", "product": "salt"}"# }.joined(separator: ",")
        try assertRefused(["--scenario", try scenarioFile(#"{"peers": [\#(crowd)]}"#)], saying: "at most 256 peers")
        let huge = #"{"base": "single_pair", "name": "\#(String(repeating: "x", count: 2_000_000))"}"#
        try assertRefused(["--scenario", try scenarioFile(huge)], saying: "at most 1048576 are read")
    }
}
