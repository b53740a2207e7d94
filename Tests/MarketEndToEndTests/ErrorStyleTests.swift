import Foundation
import XCTest

/// Every command refuses bad input the same way: `market <command>: <what is wrong>`, one line
/// on standard error, nothing on standard output, and the README's exit code (2: refused before
/// anything started; 1: a failure or a violation).
extension EndToEndTests {
    func assertOneLine(_ arguments: [String], status: Int32, saying expected: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try market(arguments, deadline: 30)
        let said = arguments.joined(separator: " ") + " → " + outcome.stderr
        XCTAssertEqual(outcome.status, status, said, file: file, line: line)
        XCTAssertEqual(outcome.stderr.filter { $0 == "\n" }.count, 1, "one line: \(said)", file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(expected), said, file: file, line: line)
        XCTAssertEqual(outcome.stdout, "", said, file: file, line: line)
    }

    func test_everyCommand_refusesInOneStyle_withTheDocumentedCode() throws {
        let missing = try temporaryDatabasePath("none.db")
        let style: [([String], String)] = [
            (["run", "--scenario", "nope", "--db", missing], "market run: unknown scenario 'nope'; built-in: "),
            (["run", "--scenario", "single_pair", "--requests", "-1", "--db", missing], "market run: --requests must be 0 to 1000000\n"),
            (["run", "--scenario", "single_pair", "--bogus"], "market run: Unknown option '--bogus'"),
            (["run"], "market run: Missing expected argument '--scenario <scenario>'"),
            (["runs", "--db", missing], "market runs: no database at \(missing)\n"),
            (["check", "--db", missing], "market check: no database at \(missing)\n"),
            (["inspect", "db", "--db", missing], "market inspect: no database at \(missing)\n"),
            (["report", "--db", missing], "market report: no database at \(missing)\n"),
            (["simulate", "--scenario", "nope"], "market simulate: unknown scenario 'nope'"),
            (["simulate", "--seeds", "0"], "market simulate: --seeds must be at least 1\n"),
            (["rnu"], "market: unknown command 'rnu'; did you mean 'run'?"),
        ]
        for (arguments, expected) in style {
            try assertOneLine(arguments, status: 2, saying: expected)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing), "nothing was created")
    }

    func test_scenarioMistakes_sayWhereAndWhatWasMeant() throws {
        try assertOneLine(["run", "--scenario", "test_case", "--db", try temporaryDatabasePath()], status: 2,
                          saying: "market run: unknown scenario 'test_case'; did you mean 'test_case1'?")
        try assertOneLine(["simulate", "--scenario", "singel_pair"], status: 2, saying: "did you mean 'single_pair'?")
        let trailing = try scenarioFile("{\n  \"base\": \"single_pair\",\n}\n")
        try assertOneLine(["run", "--scenario", trailing, "--db", try temporaryDatabasePath()], status: 2,
                          saying: "\(trailing):3:1: expected a key in double quotes, found '}'")
        let typo = try scenarioFile(#"{"base": "single_pair", "reqests": 3}"#)
        try assertOneLine(["run", "--scenario", typo], status: 2, saying: "did you mean 'requests'?")
        try assertOneLine(["run", "--scenario", "./no-such-file.json"], status: 2,
                          saying: "cannot read the scenario file ./no-such-file.json: no such file or directory")
    }

    func test_help_goesToStandardOutput_andExitsZero() throws {
        let outcome = try market(["run", "--help"], deadline: 30)
        XCTAssertEqual(outcome.status, 0)
        XCTAssertTrue(outcome.stdout.contains("--scenario"), outcome.stdout)
        XCTAssertEqual(outcome.stderr, "")
    }
}
