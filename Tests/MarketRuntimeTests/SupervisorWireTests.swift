import MarketCore
@testable import MarketRuntime
import XCTest

final class SupervisorWireTests: XCTestCase {
    func testEveryCommandReadsBackFromItsLine() throws {
        let lines: [PeerCommand: String] = [
            .begin: "begin", .startElection: "start-election", .recover: "recover", .stop: "stop", .leave: "leave",
            .proceed: "proceed",
        ]
        for (command, line) in lines {
            XCTAssertEqual(command.line, line)
            XCTAssertEqual(try PeerCommand(line: line), command)
        }
        XCTAssertEqual(try PeerCommand(line: "  stop "), .stop)
    }

    func testNemesisCutsAndHealsReadBackFromTheirLines() throws {
        let cut = PeerCommand.nemesis([DirectedLink(1, 3), DirectedLink(3, 1), DirectedLink(0, 2)])
        XCTAssertEqual(cut.line, "nemesis cut 0>2,1>3,3>1")
        XCTAssertEqual(try PeerCommand(line: cut.line), cut)
        XCTAssertEqual(PeerCommand.nemesis([]).line, "nemesis heal")
        XCTAssertEqual(try PeerCommand(line: "nemesis heal"), .nemesis([]))
        for bad in ["nemesis", "nemesis cut", "nemesis cut 1>", "nemesis cut 1-3", "nemesis heal now", "nemesis cut -1>2"] {
            XCTAssertThrowsError(try PeerCommand(line: bad)) { XCTAssertEqual($0 as? WireError, .malformed(bad)) }
        }
    }

    func testMalformedCommandsAreTypedErrors() {
        XCTAssertThrowsError(try PeerCommand(line: "")) { XCTAssertEqual($0 as? WireError, .empty) }
        XCTAssertThrowsError(try PeerCommand(line: "   ")) { XCTAssertEqual($0 as? WireError, .empty) }
        XCTAssertThrowsError(try PeerCommand(line: "halt")) { XCTAssertEqual($0 as? WireError, .unknown("halt")) }
        XCTAssertThrowsError(try PeerCommand(line: "STOP")) { XCTAssertEqual($0 as? WireError, .unknown("STOP")) }
        XCTAssertThrowsError(try PeerCommand(line: "stop now")) { XCTAssertEqual($0 as? WireError, .malformed("stop now")) }
        XCTAssertThrowsError(try PeerCommand(line: "ready")) { XCTAssertEqual($0 as? WireError, .unknown("ready")) }
    }

    func testEveryReportReadsBackFromItsLine() throws {
        let reports: [(PeerReport, String)] = [
            (.ready, "ready"),
            (.sick(.silent), "sick silent"),
            (.sick(.crash), "sick crash"),
            (.sick(.resign), "sick resign"),
            (.state(PeerStanding(up: true, traderEpoch: 3, finishedBuying: false)), "state up trader:3 buying"),
            (.state(PeerStanding(up: false, traderEpoch: nil, finishedBuying: true)), "state down - finished"),
            (.state(PeerStanding(up: true, traderEpoch: nil, finishedBuying: false)), "state up - buying"),
            (.state(PeerStanding(up: true, traderEpoch: nil, finishedBuying: true, electing: true)), "state up - finished electing"),
            (.stopped(Ledger(bought: 4, sold: 0, cashCents: -1250), finalClock: 812), "stopped 4 0 -1250 812"),
            (.fatal("store failed on enqueue: database error: disk I/O error"),
             "fatal store failed on enqueue: database error: disk I/O error"),
            (.resumed, "resumed"),
            (.paused, "paused"),
            (.continued, "continued"),
            (.process(pid: 4242, log: "/tmp/market-4242-Ab12Cd/p3.log"), "process 4242 /tmp/market-4242-Ab12Cd/p3.log"),
        ]
        for (report, line) in reports {
            XCTAssertEqual(report.line, line)
            XCTAssertEqual(try PeerReport(line: line), report, line)
        }
    }

    func testAFatalReportStaysOneLine() throws {
        let report = PeerReport.fatal("cannot record the ledger:\nSQLite error 10")
        XCTAssertEqual(report.line, "fatal cannot record the ledger: SQLite error 10")
        XCTAssertEqual(try PeerReport(line: report.line), .fatal("cannot record the ledger: SQLite error 10"))
        XCTAssertEqual(try PeerReport(line: "fatal"), .fatal(""))
    }

    func testMalformedReportsAreTypedErrors() {
        let malformed = [
            "ready now", "sick", "sick sleepy", "sick silent crash",
            "state", "state up", "state up trader:3", "state sideways - buying", "state up trader:x buying",
            "state up trader: buying", "state up leader:3 buying", "state up - shopping", "state up - buying extra", "state up - buying electing extra",
            "stopped", "stopped 1 2 3", "stopped 1 2 3 4 5", "stopped a 2 3 4", "stopped 1 2 3 -4", "stopped 1 2 3.5 4",
            "process", "process 12", "process x /tmp/p.log", "process 0 /tmp/p.log", "process -3 /tmp/p.log",
        ]
        for line in malformed {
            XCTAssertThrowsError(try PeerReport(line: line), line) { XCTAssertEqual($0 as? WireError, .malformed(line)) }
        }
        XCTAssertThrowsError(try PeerReport(line: "")) { XCTAssertEqual($0 as? WireError, .empty) }
        XCTAssertThrowsError(try PeerReport(line: "hello there")) { XCTAssertEqual($0 as? WireError, .unknown("hello")) }
        XCTAssertThrowsError(try PeerReport(line: "stop")) { XCTAssertEqual($0 as? WireError, .unknown("stop")) }
    }
}

/// The lines that hand out where peers listen (runs over TCP).
final class SupervisorWireAddressTests: XCTestCase {
    func testAddressesAndListeningReadBackFromTheirLines() throws {
        let table: [PeerID: PeerAddress] = [
            2: .tcp(host: "127.0.0.1", port: 40123), 0: .unix(path: "/tmp/market-1-Ab12Cd/p0.sock"),
            11: .tcp(host: "::1", port: 9),
        ]
        let line = "addresses 0=unix:/tmp/market-1-Ab12Cd/p0.sock 2=tcp:127.0.0.1:40123 11=tcp:[::1]:9"
        XCTAssertEqual(PeerCommand.addresses(table).line, line)
        XCTAssertEqual(try PeerCommand(line: line), .addresses(table))
        XCTAssertEqual(PeerReport.listening(.tcp(host: "127.0.0.1", port: 5)).line, "listening tcp:127.0.0.1:5")
        XCTAssertEqual(try PeerReport(line: "listening tcp:127.0.0.1:5"), .listening(.tcp(host: "127.0.0.1", port: 5)))
    }

    func testMalformedAddressesAreTypedErrors() {
        for line in ["addresses", "addresses 1", "addresses 1=", "addresses x=tcp:1.2.3.4:5", "addresses -1=tcp:h:5",
                     "addresses 1=tcp:h:0", "addresses 1=tcp:h:70000", "addresses 1=tcp::5", "addresses 1=udp:h:5",
                     "addresses 1=tcp:h:5 1=tcp:h:6", "addresses 1=unix:"] {
            XCTAssertThrowsError(try PeerCommand(line: line), line) { XCTAssertEqual($0 as? WireError, .malformed(line)) }
        }
        for line in ["listening", "listening tcp:h", "listening here"] {
            XCTAssertThrowsError(try PeerReport(line: line), line) { XCTAssertEqual($0 as? WireError, .malformed(line)) }
        }
    }
}
