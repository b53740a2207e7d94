import Foundation
import XCTest

/// `market report` of a real run, drawn by a real browser (headless Chromium), and the ready
/// queries of tools/queries run on the same database by the `sqlite3` shell.
final class ReportEndToEndTests: XCTestCase {
    /// A traced test_case2 run in which the trader crashes: elections, faults, takeovers and
    /// traced messages, so every section has something to draw. Made once for the class.
    struct TracedRun {
        var directory: URL
        var database: String
        var report: String
    }

    nonisolated(unsafe) static var shared: TracedRun?

    func tracedCrashRun() throws -> TracedRun {
        if let run = Self.shared { return run }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-report-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = directory.appendingPathComponent("market.db").path
        let report = directory.appendingPathComponent("run-report.html").path
        let run = try ChildRun.run(try EndToEndTests.marketBinary(), [
            "run", "--scenario", "test_case2", "--requests", "150", "--sick-mode", "crash", "--sick-rate", "0.04",
            "--recover-after", "0.2", "--seed", "11", "--trace", "--db", database, "--json", "--time-limit", "45",
            "--report", report,
        ], deadline: 60)
        XCTAssertFalse(run.timedOut, "market run did not end")
        XCTAssertEqual(run.status, 0, run.errors + run.output)
        XCTAssertTrue(run.errors.contains("report: \(report)"), "--report says where it wrote: \(run.errors)")
        let made = TracedRun(directory: directory, database: database, report: report)
        Self.shared = made
        return made
    }

    override class func tearDown() {
        if let run = shared { try? FileManager.default.removeItem(at: run.directory) }
        shared = nil
        super.tearDown()
    }

    func market(_ arguments: [String]) throws -> ChildRun {
        try ChildRun.run(try EndToEndTests.marketBinary(), arguments, deadline: 60)
    }

    func testReportOfATracedCrashRunRendersEverySectionInChromium() throws {
        let run = try tracedCrashRun()
        let out = run.directory.appendingPathComponent("report.html").path
        let written = try market(["report", "--db", run.database, "--out", out])
        XCTAssertEqual(written.status, 0, written.errors)
        XCTAssertTrue(written.output.hasPrefix("wrote \(out): run 1, "), written.output)
        let page = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertFalse(page.contains("http://") || page.contains("https://") || page.contains("<script"),
                       "the page must open offline and need no script")
        XCTAssertEqual(try String(contentsOfFile: run.report, encoding: .utf8).count > 0, true, "market run --report wrote a page")

        guard let chromium = ChildRun.find(["chromium", "chromium-browser", "google-chrome"]) else {
            throw XCTSkip("chromium is not installed (.ci/run installs Debian's: apt-get install chromium); the page was not rendered")
        }
        let profile = run.directory.appendingPathComponent("chromium-profile").path
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile)"]
        let dom = try ChildRun.run(chromium, common + ["--dump-dom", "file://\(out)"], deadline: 90)
        XCTAssertEqual(dom.status, 0, dom.errors)
        let rendered = ReportDOM(dom.output)
        for id in ["timeline", "latency", "rate", "spacetime", "books"] {
            let section = try XCTUnwrap(rendered.sections[id], "section \(id) is missing from the rendered page")
            XCTAssertGreaterThan(section.count, 0, "section \(id) drew nothing")
            XCTAssertFalse(section.caption.isEmpty, "section \(id) has no caption")
            XCTAssertTrue(section.html.contains(id == "books" ? "<table" : "<svg"), "section \(id) has no drawing")
        }
        XCTAssertEqual(rendered.sections["timeline"]?.count, 5, "a lane per peer of test_case2")
        XCTAssertTrue(rendered.sections["spacetime"]?.html.contains("class=\"msg vote\"") ?? false,
                      "the default window holds the election's messages")

        let screenshot = run.directory.appendingPathComponent("report.png").path
        let shot = try ChildRun.run(chromium, common + ["--screenshot=\(screenshot)", "--window-size=1280,2200", "file://\(out)"],
                                    deadline: 90)
        XCTAssertEqual(shot.status, 0, shot.errors)
        let png = try PNGSummary(Data(contentsOf: URL(fileURLWithPath: screenshot)))
        XCTAssertEqual(png.width, 1280)
        XCTAssertEqual(png.height, 2200)
        // A single-colour screenshot of this size deflates about 650:1; a page of drawings and text about 25:1.
        XCTAssertGreaterThan(png.compressedBytes * 100, png.rawBytes, "the screenshot looks blank (\(png))")
        if let keep = ProcessInfo.processInfo.environment["MARKET_REPORT_SCREENSHOTS"] {
            try? FileManager.default.removeItem(atPath: keep + "/e2e-report.png")
            try FileManager.default.copyItem(atPath: screenshot, toPath: keep + "/e2e-report.png")
        }
    }

    func testEveryReadyQueryAnswersOnARealRun() throws {
        let run = try tracedCrashRun()
        guard let sqlite3 = ChildRun.find(["sqlite3"]) else { throw XCTSkip("the sqlite3 shell is not installed") }
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/queries")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 9, "the ready queries: \(files)")
        for file in files {
            // `sqlite3 -header -column market.db < tools/queries/NAME.sql`, as the README says.
            let query = try Data(contentsOf: folder.appendingPathComponent(file))
            let input = run.directory.appendingPathComponent("input.sql")
            try query.write(to: input)
            let answer = try ChildRun.run(URL(fileURLWithPath: "/bin/sh"),
                                          ["-c", "\"$0\" -bail -header -column \"$1\" < \"$2\"", sqlite3.path, run.database, input.path], deadline: 30)
            XCTAssertEqual(answer.status, 0, "\(file): \(answer.errors)")
            XCTAssertEqual(answer.errors, "", "\(file) wrote errors")
            let lines = answer.output.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let header = 2  // names and the dashes under them
            XCTAssertGreaterThan(lines.count, header, "\(file) gave no rows:\n\(answer.output)")
        }
        let buyer = try ChildRun.run(sqlite3, ["-bail", "-cmd", ".parameter set :buyer 0", run.database,
                                              ".read \(folder.appendingPathComponent("buyer-history.sql").path)"], deadline: 30)
        XCTAssertEqual(buyer.errors, "")
        XCTAssertGreaterThan(buyer.output.split(separator: "\n").count, 100, "P0 made 150 requests")
    }
}

extension ReportEndToEndTests {
    /// A run still going: the report reads what is committed and says so; the run goes on.
    func testReportOfALiveRunShowsWhatIsCommitted() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("market-report-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("market.db").path
        let running = try ChildRun.Running(try EndToEndTests.marketBinary(), [
            // Far more requests than it takes to write a report, so the run is surely still going; it is
            // interrupted at the end.
            "run", "--scenario", "test_case2", "--requests", "50000", "--sick-rate", "0", "--seed", "4", "--db", database,
        ])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(30)
        var page = ""
        while Date() < deadline, running.process.isRunning {
            let out = directory.appendingPathComponent("live.html").path
            if try market(["report", "--db", database, "--out", out]).status == 0 {
                page = try String(contentsOfFile: out, encoding: .utf8)
                if page.contains("still going"), (ReportSections(page).count("latency") ?? 0) > 0 { break }
            }
            usleep(50_000)
        }
        XCTAssertTrue(page.contains("still going when the report was written"), "the live run's page says it is live")
        XCTAssertGreaterThan(ReportSections(page).count("latency") ?? 0, 0, "decisions committed so far are drawn")
        XCTAssertTrue(running.process.isRunning, "reading the database did not stop the run")
        kill(running.process.processIdentifier, SIGINT)
        XCTAssertFalse(running.finish(deadline: 20).timedOut)
    }

    func testBadInputGetsOneLineErrors() throws {
        let run = try tracedCrashRun()
        let foreign = run.directory.appendingPathComponent("foreign.db").path
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: foreign))
        let cases: [([String], String)] = [
            (["report", "--db", foreign], "is not a market database"),
            (["report", "--db", run.directory.appendingPathComponent("none.db").path], "no database at"),
            (["report", "--db", run.database, "--run", "7"], "no run 7 in the database"),
            (["report", "--db", run.database, "--window", "soon"], "--window 'soon' is not a window"),
            (["report", "--db", run.database, "--out", run.directory.appendingPathComponent("no/such/dir.html").path], "cannot write"),
        ]
        for (arguments, expected) in cases {
            let outcome = try market(arguments)
            XCTAssertNotEqual(outcome.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(outcome.errors.hasPrefix("market report: ") && outcome.errors.contains(expected), outcome.errors)
            XCTAssertFalse(outcome.errors.contains("Fatal error"), outcome.errors)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: foreign)), Data("not a database".utf8), "a foreign file is left alone")
    }
}

/// A page's sections by id, with the count of things each drew (`data-count`).
struct ReportSections {
    let counts: [String: Int]

    init(_ page: String) {
        counts = ReportDOM(page).sections.mapValues(\.count)
    }

    func count(_ id: String) -> Int? { counts[id] }
}

/// The sections of a page as Chromium rendered it (`--dump-dom`).
struct ReportDOM {
    struct Section {
        var count: Int
        var caption: String
        var html: String
    }

    var sections: [String: Section] = [:]

    init(_ dom: String) {
        let parts = dom.components(separatedBy: "<section id=\"").dropFirst()
        for part in parts {
            let id = String(part.prefix { $0 != "\"" })
            let html = part.components(separatedBy: "</section>").first ?? ""
            let count = html.range(of: "data-count=\"").map { Int(html[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
            let caption = html.range(of: "<p class=\"caption\">").map {
                String(html[$0.upperBound...].prefix { $0 != "<" })
            } ?? ""
            sections[id] = Section(count: count, caption: caption, html: html)
        }
    }
}

/// What a PNG's chunks say: its size, and how far its pixels compressed.
struct PNGSummary: CustomStringConvertible {
    var width: Int
    var height: Int
    var bitsPerPixel: Int
    var compressedBytes: Int

    var rawBytes: Int { width * height * bitsPerPixel / 8 }
    var description: String { "\(width)×\(height), \(compressedBytes) bytes of pixel data for \(rawBytes) raw" }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 33, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw PNGError("not a PNG file")
        }
        func integer(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = integer(16)
        height = integer(20)
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(bytes[25])] ?? 4
        bitsPerPixel = channels * Int(bytes[24])
        compressedBytes = 0
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = integer(offset)
            if bytes[offset + 4..<offset + 8].elementsEqual("IDAT".utf8) { compressedBytes += length }
            offset += 12 + length
        }
    }
}

struct PNGError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
