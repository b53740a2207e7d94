import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// Migration 0005: a history written with millisecond times still opens, and reads and sorts
/// right next to the microsecond times written after it.
final class TimeMigrationTests: TemporaryDirectoryTestCase {
    /// A database as `market` left it before migration 0005: every time to the millisecond.
    func oldDatabase() throws -> String {
        let path = directory.path("old.db")
        let schema = Migrations.all.filter { $0.version < 5 }.map(\.sql).joined(separator: "\n")
        let at = { (ms: String) in "'2026-11-29T20:41:14.\(ms)Z'" }
        _ = try sqlite3(path, schema + """
            INSERT INTO runs(run_id, scenario, peer_count, seed, started_at, finished_at, status, stopping_at)
                VALUES (1, 'old', 2, 1, \(at("000")), '2026-11-29T20:41:15.000Z', 'completed', \(at("900")));
            INSERT INTO peers(run_id, peer_id, role, product) VALUES (1, 0, 'buyer', 'salt'), (1, 1, 'seller', 'salt');
            INSERT INTO leader(run_id, epoch, leader_id, updated_at, election_started_at) VALUES (1, 1, 1, \(at("010")), \(at("005")));
            INSERT INTO elections VALUES (1, 1, 1, 1, 'startup', \(at("005")), \(at("010")));
            INSERT INTO faults(run_id, peer_id, kind, at) VALUES (1, 1, 'sick', \(at("210"))), (1, 1, 'recover', \(at("211")));
            INSERT INTO deposits(run_id, deposit_id, seller_id, product, quantity, epoch, at) VALUES (1, 1, 1, 'salt', 5, 1, \(at("020")));
            INSERT INTO requests(run_id, request_id, buyer_id, product, lamport_ts, status, epoch_received, epoch_decided,
                                 decided_seq, received_at, decided_at)
                VALUES (1, 'P0-0', 0, 'salt', 1, 'bought', 1, 1, 1, \(at("100")), \(at("102")));
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity, price_cents, at)
                VALUES (1, 1, 'P0-0', 0, 1, 1, 1, 'salt', 1, 100, \(at("102")));
            INSERT INTO messages(run_id, kind, from_id, to_id, send_clock, recv_clock, sent_at, received_at)
                VALUES (1, 'buy', 0, 1, 1, 2, \(at("100")), \(at("101")));
            INSERT INTO outbox(run_id, request_id, recipient_id, kind, delivered, created_at, delivered_at)
                VALUES (1, 'P0-0', 0, 'buy_result', 1, \(at("102")), \(at("103")));

            """)
        return path
    }

    /// Every time column of every history table, as `table.column`.
    static let timeColumns = [
        "runs.started_at", "runs.finished_at", "runs.stopping_at", "faults.at", "leader.updated_at",
        "leader.election_started_at", "elections.started_at", "elections.finished_at", "deposits.at",
        "requests.received_at", "requests.decided_at", "trades.at", "messages.sent_at", "messages.received_at",
        "outbox.created_at", "outbox.delivered_at",
    ]

    func testMigrationWidensEveryOldTimeSoOldAndNewRowsSortTogether() throws {
        let path = try oldDatabase()
        let database = try MarketDatabase.open(path: path)
        XCTAssertEqual(try database.schemaVersion(), Migrations.latest)

        let widths = Self.timeColumns.map { column -> String in
            let (table, name) = (column.split(separator: ".")[0], column.split(separator: ".")[1])
            return "SELECT '\(column)', \(name) FROM \(table)"
        }.joined(separator: " UNION ALL ") + ";\n"
        let rows = try sqlite3(path, widths).split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        XCTAssertEqual(Set(rows.map { String($0[0]) }), Set(Self.timeColumns), "a row for every time column")
        for row in rows {
            XCTAssertEqual(row[1].count, Timestamp.width, "\(row[0]) holds \(row[1])")
            XCTAssertTrue(row[1].hasSuffix("000Z"), "\(row[0]) holds \(row[1])")
        }
        XCTAssertEqual(try sqlite3(path, "SELECT at FROM faults WHERE kind = 'sick';\n"), "2026-11-29T20:41:14.210000Z\n")

        // Half a millisecond after the old sick fault, before the old recovery: in text order too.
        let between = try XCTUnwrap(Timestamp.parse("2026-11-29T20:41:14.210500Z"))
        try database.recordFault(runID: 1, peer: 1, kind: .crash, at: Date(timeIntervalSince1970: Double(between) / 1_000_000))
        XCTAssertEqual(try sqlite3(path, "SELECT kind FROM faults ORDER BY at;\n"), "sick\ncrash\nrecover\n")

        let chronicle = try database.chronicle(runID: 1, window: .time(fromMs: 100.5, toMs: 101))
        XCTAssertEqual(chronicle.faults.map(\.atMs), [210, 210.5, 211])
        XCTAssertEqual(chronicle.requests.map { ($0.decidedMs ?? 0) - $0.receivedMs }, [2])
        XCTAssertEqual(chronicle.endMs, 1000)
        XCTAssertEqual(chronicle.messages.map(\.receivedMs), [101])
    }

    /// Read-only opening never migrates: the old text is read as it is, and a window compared
    /// with microsecond text still finds what it holds.
    func testAnOldDatabaseOpenedReadOnlyReadsRight() throws {
        let path = try oldDatabase()
        let database = try MarketDatabase.openReadOnly(path: path)
        XCTAssertEqual(try database.schemaVersion(), 4)
        let chronicle = try database.chronicle(runID: 1, window: .time(fromMs: 100.5, toMs: 101))
        XCTAssertEqual(chronicle.faults.map(\.atMs), [210, 211])
        XCTAssertEqual(chronicle.requests.map(\.receivedMs), [100])
        XCTAssertEqual(chronicle.requests.map(\.decidedMs), [102])
        XCTAssertEqual(chronicle.elections.map(\.startedMs), [5])
        XCTAssertEqual(chronicle.messages.map(\.receivedMs), [101], "the message received at 101 ms is in 100.5–101 ms")
        XCTAssertEqual(chronicle.messages.map(\.sentMs), [100])
        XCTAssertEqual(try database.chronicle(runID: 1, window: .time(fromMs: 101.001, toMs: 102)).messages, [])
    }

    /// Waits under a millisecond are kept: 250 µs reads 0.25 ms, not 0.
    func testASubMillisecondWaitReadsExactly() throws {
        let database = try MarketDatabase.open(path: directory.path("new.db"))
        let run = try database.beginRun(scenario: "unit", peerCount: 1, seed: 1, peers: [PeerSpec(id: 0, role: .buyer, product: .salt)])
        let started = try XCTUnwrap(Timestamp.parse(try sqlite3(directory.path("new.db"), "SELECT started_at FROM runs;\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        let received = Timestamp.format(microseconds: started + 1_999_875)
        let decided = Timestamp.format(microseconds: started + 2_000_125)
        _ = try sqlite3(directory.path("new.db"), """
            INSERT INTO requests(run_id, request_id, buyer_id, product, lamport_ts, status, decided_seq, received_at, decided_at)
            VALUES (\(run), 'P0-0', 0, 'salt', 1, 'bought', 1, '\(received)', '\(decided)');

            """)
        let request = try XCTUnwrap(database.chronicle(runID: run, window: .time(fromMs: 0, toMs: 1)).requests.first)
        XCTAssertEqual(request.receivedMs, 1999.875)
        XCTAssertEqual(try XCTUnwrap(request.decidedMs) - request.receivedMs, 0.25, accuracy: 1e-9)
    }
}
