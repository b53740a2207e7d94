import Foundation
import MarketCore
import MarketRuntime
import MarketStore
import MarketTestKit
import XCTest

/// Hostile numbers and files on `market run`: each is refused before anything starts, with
/// one line that names the field, a non-zero exit, and no trap.
extension EndToEndTests {
    func assertRefused(_ arguments: [String], saying expected: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try temporaryDatabasePath()
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
        let path = try temporaryDatabasePath().replacingOccurrences(of: "market.db", with: "scenario.json")
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

/// A database path that cannot be used: every command that opens it says so in one line that
/// names the file and the problem, exits non-zero, and prints nothing else.
extension EndToEndTests {
    static let databaseCommands: [[String]] = [
        ["runs"], ["inspect", "db"], ["check"], ["run", "--scenario", "single_pair", "--requests", "3"],
    ]

    func assertEveryCommandRefuses(_ path: String, saying expected: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        for command in Self.databaseCommands {
            let outcome = try market(command + ["--db", path], deadline: 30)
            let said = outcome.stderr.trimmingCharacters(in: .newlines)
            XCTAssertNotEqual(outcome.status, 0, "\(command): \(said)", file: file, line: line)
            XCTAssertTrue(said.contains(expected), "\(command): \(said)", file: file, line: line)
            XCTAssertFalse(said.contains("\n"), "\(command), one line: \(said)", file: file, line: line)
            XCTAssertEqual(outcome.stdout, "", "\(command) printed nothing else", file: file, line: line)
        }
    }

    func test_aDeviceOrADirectoryAsTheDatabase_isRefusedByWhatItIs() throws {
        try assertEveryCommandRefuses("/dev/null", saying: "cannot open /dev/null: it is a character device")
        let folder = try temporaryDatabasePath()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try assertEveryCommandRefuses(folder, saying: "cannot open \(folder): it is a directory")
    }

    func test_aDatabaseInAMissingDirectory_isNamed() throws {
        let path = try temporaryDatabasePath("no/such/market.db")
        let outcome = try market(["run", "--scenario", "single_pair", "--db", path], deadline: 30)
        XCTAssertNotEqual(outcome.status, 0)
        XCTAssertEqual(outcome.stderr, "market run: cannot open \(path): no such directory "
            + "\((path as NSString).deletingLastPathComponent)\n")
    }

    func test_aDamagedDatabase_isRefusedInOneLine_evenByRuns() throws {
        let path = try temporaryDatabasePath()
        do {
            let database = try MarketDatabase.open(path: path)
            let peers = (0..<200).map { PeerSpec(id: $0, role: $0 % 2 == 0 ? .buyer : .seller, product: .salt) }
            for _ in 0..<20 {
                let run = try database.beginRun(scenario: "damaged", peerCount: peers.count, seed: 1, peers: peers)
                try database.finishRun(runID: run, status: .completed)
            }
        }
        // The root page of `peers` overwritten: the runs themselves stay readable (`market runs`
        // would list them), but the file is damaged.
        let (page, pageSize) = try readOnly(path).read { db in
            (try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'peers'") ?? 0,
             try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
        XCTAssertGreaterThan(page, 1)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64((page - 1) * pageSize))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: pageSize))
        try handle.close()
        XCTAssertEqual(try readOnly(path).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") }, 20)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        try assertEveryCommandRefuses(path, saying: "\(path) is damaged (")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "nothing written to a damaged file")
    }

    func test_aDatabaseOnAReadOnlyFileSystem_isNamedAsSuch() throws {
        let mountPoint = try temporaryDatabasePath("read-only")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        try mount(["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint])
        addTeardownBlock { _ = try? ChildRun.run(URL(fileURLWithPath: "/bin/umount"), [mountPoint], deadline: 30) }
        let path = mountPoint + "/market.db"
        let made = try market(["run", "--scenario", "single_pair", "--requests", "1", "--db", path], deadline: 50)
        XCTAssertEqual(made.status, 0, made.stderr)
        try mount(["-o", "remount,ro", mountPoint])
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        try assertEveryCommandRefuses(path, saying: "cannot open \(path): read-only file system")
        let new = mountPoint + "/new.db"
        let creating = try market(["run", "--scenario", "single_pair", "--db", new], deadline: 30)
        XCTAssertNotEqual(creating.status, 0)
        XCTAssertEqual(creating.stderr, "market run: cannot open \(new): read-only file system\n")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    /// `mount`, or a skip that says why it could not be done here.
    func mount(_ arguments: [String]) throws {
        guard let mount = ChildRun.find(["mount"]) else { throw XCTSkip("no mount command: cannot make a read-only file system") }
        let result = try ChildRun.run(mount, arguments, deadline: 30)
        guard result.status == 0 else {
            throw XCTSkip("mount \(arguments.joined(separator: " ")) is not permitted here "
                + "(\(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))): the read-only file system case needs it")
        }
    }

    /// A peer restarted after its database was moved away does not start a new, empty history
    /// at the old path: creating the database is the supervisor's job.
    func test_aPeerWhoseDatabaseIsGone_createsNone() throws {
        let path = try temporaryDatabasePath()
        let directory = (path as NSString).deletingLastPathComponent
        let scenario = try BuiltInScenario.named("single_pair").scenario(seed: 1)
        try JSONEncoder().encode(scenario).write(to: URL(fileURLWithPath: RunDirectory(path: directory).scenarioPath))
        let outcome = try market(["peer", "--dir", directory, "--id", "0", "--run-id", "1", "--db", path, "--restart"],
                                 deadline: 30)
        XCTAssertEqual(outcome.status, PeerProcess.cannotStart, outcome.stderr)
        XCTAssertEqual(outcome.stderr, "P0: cannot open the database: no database at \(path)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the peer created a database")
    }
}

extension EndToEndTests {
    /// The report replaces the file it names: naming the database would replace the history with HTML.
    func test_aReportNamingTheDatabase_isRefused_andTheDatabaseKept() throws {
        let path = try temporaryDatabasePath()
        let made = try market(["run", "--scenario", "single_pair", "--requests", "1", "--db", path], deadline: 50)
        XCTAssertEqual(made.status, 0, made.stderr)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let link = (path as NSString).deletingLastPathComponent + "/report.html"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        for out in [path, link, path + "-wal"] {
            let outcome = try market(["report", "--db", path, "--out", out], deadline: 30)
            XCTAssertNotEqual(outcome.status, 0, out)
            XCTAssertTrue(outcome.stderr.hasPrefix("market report: cannot write \(out): it is the database's own file"), outcome.stderr)
            XCTAssertFalse(outcome.stderr.trimmingCharacters(in: .newlines).contains("\n"), outcome.stderr)
        }
        let run = try market(["run", "--scenario", "single_pair", "--db", path, "--report", path], deadline: 30)
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.hasPrefix("market run: cannot write \(path): it is the database's own file"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the database is kept")
    }
}
