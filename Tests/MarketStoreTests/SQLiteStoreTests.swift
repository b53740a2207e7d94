import Foundation
import GRDB
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// What only the SQLite store has to show: the schema, the file checks, and fencing between
/// processes (whole-batch refusals are the store contract's).
final class SQLiteStoreTests: TemporaryDirectoryTestCase {
    static let migrationsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/MarketStore/Migrations")

    func migrationFiles(in directory: URL = SQLiteStoreTests.migrationsDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
    }

    // MARK: Migrations

    /// Both engines' files, each built in as the same step: SQLite's `NNNN_name.sql` and
    /// PostgreSQL's `postgresql/NNNN_name.pg.sql`.
    func testEveryMigrationFileIsBuiltIn() throws {
        let engines: [(SQLEngine, URL, String)] = [
            (.sqlite, Self.migrationsDirectory, "sql"),
            (.postgresql, Self.migrationsDirectory.appendingPathComponent("postgresql"), "pg.sql"),
        ]
        for (engine, directory, suffix) in engines {
            let files = try migrationFiles(in: directory)
            XCTAssertEqual(files, Migrations.all.map { String(format: "%04d_%@.%@", $0.version, $0.name, suffix) }, "\(engine)")
            for (file, migration) in zip(files, Migrations.all) {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                XCTAssertEqual(text, migration.sql(for: engine), "\(file) differs from the copy built into the binary")
            }
        }
    }

    func testPipingTheFilesIntoSQLiteBuildsTheSameSchema() throws {
        let piped = directory.path("piped.db")
        _ = try sqlite3(piped, try migrationFiles().map {
            try String(contentsOf: Self.migrationsDirectory.appendingPathComponent($0), encoding: .utf8)
        }.joined(separator: "\n"))
        let built = directory.path("built.db")
        _ = try MarketDatabase.open(path: built)
        let schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name;\nSELECT version, name FROM schema_migrations;\n"
        XCTAssertEqual(try sqlite3(piped, schema), try sqlite3(built, schema))
        XCTAssertTrue(try sqlite3(built, schema).contains("CREATE TABLE trades"))
    }

    func testRowsGivingOnlyContractColumnsInsert() throws {
        let path = directory.path("contract.db")
        _ = try MarketDatabase.open(path: path)
        _ = try sqlite3(path, """
            PRAGMA foreign_keys = ON;
            INSERT INTO runs(run_id, scenario, peer_count, seed, started_at, finished_at, status)
                VALUES (1, 'fixture', 2, 7, '2026-01-01T00:00:00.000Z', NULL, 'running');
            INSERT INTO peers(run_id, peer_id, role, product, pid, bought, sold, cash_cents, final_clock)
                VALUES (1, 0, 'buyer', 'salt', NULL, NULL, NULL, NULL, NULL);
            INSERT INTO faults(run_id, peer_id, kind, at) VALUES (1, 1, 'sick', '2026-01-01T00:00:01.000Z');
            INSERT INTO leader(run_id, epoch, leader_id, election_in_progress, updated_at)
                VALUES (1, 1, 1, 0, '2026-01-01T00:00:00.000Z');
            INSERT INTO elections(run_id, epoch, initiator_id, winner_id, reason, started_at, finished_at)
                VALUES (1, 1, 0, 1, 'startup', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
            INSERT INTO deposits(run_id, deposit_id, seller_id, product, quantity, epoch, at)
                VALUES (1, 1000000, 1, 'salt', 5, 1, '2026-01-01T00:00:00.000Z');
            INSERT INTO inventory(run_id, seller_id, product, stock, deposited) VALUES (1, 1, 'salt', 4, 5);
            INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, reason,
                                 epoch_received, epoch_decided, decided_seq, received_at, decided_at)
                VALUES (1, 'P0-0', 0, 'salt', 1, 3, 'bought', NULL, 1, 1, 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product,
                               quantity, price_cents, commission_cents, lamport_ts, at)
                VALUES (1, 1, 'P0-0', 0, 1, 1, 1, 'salt', 1, 100, 10, 3, '2026-01-01T00:00:00.000Z');
            INSERT INTO messages(run_id, msg_id, kind, from_id, to_id, send_clock, recv_clock, sent_at, received_at)
                VALUES (1, 1, 'buy', 0, 1, 3, 4, NULL, NULL);
            """)
        let counts = try sqlite3(path, """
            SELECT (SELECT count(*) FROM runs) || (SELECT count(*) FROM peers) || (SELECT count(*) FROM faults)
                || (SELECT count(*) FROM leader) || (SELECT count(*) FROM elections) || (SELECT count(*) FROM deposits)
                || (SELECT count(*) FROM inventory) || (SELECT count(*) FROM requests) || (SELECT count(*) FROM trades)
                || (SELECT count(*) FROM messages);
            """)
        XCTAssertEqual(counts.trimmingCharacters(in: .whitespacesAndNewlines), "1111111111")
    }

    func testReopeningDoesNotMigrateTwice() throws {
        let path = directory.path("twice.db")
        let first = try MarketDatabase.open(path: path)
        _ = try first.beginRun(scenario: "a", peerCount: 1, seed: 1, peers: [])
        let second = try MarketDatabase.open(path: path, durability: .full)
        XCTAssertEqual(try second.schemaVersion(), Migrations.latest)
        XCTAssertEqual(try second.latestRunID(), 1)
    }

    func testProcessesOpeningANewFileTogetherMigrateItOnce() throws {
        let path = directory.path("together.db")
        let boxes = (0..<4).map { _ in ResultBox<Int>() }
        DispatchQueue.concurrentPerform(iterations: boxes.count) { index in
            boxes[index].set(Result { try MarketDatabase.open(path: path).schemaVersion() })
        }
        for box in boxes {
            XCTAssertEqual(try box.value?.get(), Migrations.latest)
        }
        XCTAssertEqual(try sqlite3(path, "SELECT count(*) FROM schema_migrations; PRAGMA journal_mode;"), "\(Migrations.all.count)\nwal\n")
    }

    func testAPathInAMissingDirectoryIsAOneLineError() throws {
        let path = directory.path("no/such/dir/market.db")
        XCTAssertThrowsError(try MarketDatabase.open(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .cannotOpen(path: path, reason: "no such directory \(self.directory.path("no/such/dir"))"))
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func testRunRecordsNameTheirRunAndPeer() throws {
        let database = try MarketDatabase.open(path: directory.path("records.db"))
        let run = try database.beginRun(scenario: "one_down", peerCount: 2, seed: .max, peers: [
            PeerSpec(id: 0, role: .buyer, product: .boar), PeerSpec(id: 1, role: .seller, product: .boar, downAtStart: true),
        ])
        try database.recordFault(runID: run, peer: 1, kind: .downAtStart)
        try database.recordPID(runID: run, peer: 0, pid: 4242)
        try database.recordLedger(runID: run, peer: 0, ledger: Ledger(bought: 1, sold: 0, cashCents: -100), finalClock: 17)
        XCTAssertThrowsError(try database.recordLedger(runID: run, peer: 5, ledger: Ledger(), finalClock: 0)) {
            XCTAssertEqual($0 as? StoreError, .noSuchPeer(run: run, peer: 5))
        }
        XCTAssertThrowsError(try database.finishRun(runID: run + 1, status: .completed)) {
            XCTAssertEqual($0 as? StoreError, .noSuchRun(run + 1))
        }
        try database.finishRun(runID: run, status: .interrupted)
        XCTAssertEqual(try database.runs().map(\.seed), [.max], "a seed past Int64.max survives the round trip")
        XCTAssertEqual(try sqlite3(database.path, """
            SELECT kind || ' P' || peer_id FROM faults;
            SELECT pid, bought, cash_cents, final_clock FROM peers WHERE peer_id = 0;
            SELECT status, finished_at IS NOT NULL FROM runs;
            """), "down_at_start P1\n4242|1|-100|17\ninterrupted|1\n")
    }

    // MARK: Files that are not ours

    func testAFileOfAnotherProgramIsRefusedUntouched() throws {
        let path = directory.path("other.db")
        _ = try sqlite3(path, "CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES ('mine');")
        let before = try XCTUnwrap(fileBytes(path))
        XCTAssertThrowsError(try MarketDatabase.open(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .notAMarketDatabase(path: path))
            XCTAssertEqual("\(error)", "\(path) is not a market database")
        }
        XCTAssertThrowsError(try MarketDatabase.openReadOnly(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .notAMarketDatabase(path: path))
        }
        XCTAssertEqual(fileBytes(path), before)
        XCTAssertEqual(try sqlite3(path, "PRAGMA journal_mode;"), "delete\n", "not switched to WAL")
    }

    func testGarbageIsRefusedUntouched() throws {
        let path = directory.path("garbage.db")
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: garbage))
        XCTAssertThrowsError(try MarketDatabase.open(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .notAMarketDatabase(path: path))
        }
        XCTAssertThrowsError(try MarketDatabase.openReadOnly(path: path))
        XCTAssertEqual(fileBytes(path), garbage)
    }

    func testANewerSchemaIsRefusedUntouched() throws {
        let path = directory.path("newer.db")
        do {
            let database = try MarketDatabase.open(path: path)
            _ = try database.beginRun(scenario: "a", peerCount: 1, seed: 1, peers: [])
        }
        _ = try sqlite3(path, "INSERT INTO schema_migrations(version, name) VALUES (\(Migrations.latest + 1), 'future');")
        let before = try XCTUnwrap(fileBytes(path))
        let expected = StoreError.newerSchema(path: path, found: Migrations.latest + 1, supported: Migrations.latest)
        XCTAssertThrowsError(try MarketDatabase.open(path: path)) { XCTAssertEqual($0 as? StoreError, expected) }
        XCTAssertThrowsError(try MarketDatabase.openReadOnly(path: path)) { XCTAssertEqual($0 as? StoreError, expected) }
        XCTAssertEqual(fileBytes(path), before)
        XCTAssertFalse("\(expected)".contains("\n"))
    }

    func testReadOnlyNeverCreatesAFileAndNeverWrites() throws {
        let missing = directory.path("missing.db")
        XCTAssertThrowsError(try MarketDatabase.openReadOnly(path: missing)) {
            XCTAssertEqual($0 as? StoreError, .noDatabase(path: missing))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))

        let path = directory.path("market.db")
        let run = try MarketDatabase.open(path: path).beginRun(scenario: "a", peerCount: 1, seed: 1, peers: [])
        let reader = try MarketDatabase.openReadOnly(path: path)
        XCTAssertEqual(try reader.progress(runID: run).epoch, 0)
        XCTAssertThrowsError(try reader.store(runID: run).claimEpoch(StoreContract.claim(1)))
        XCTAssertEqual(try reader.progress(runID: run).epoch, 0)
    }

    func testOpeningExistingNeverCreatesAFile() throws {
        let missing = directory.path("moved-away.db")
        XCTAssertThrowsError(try MarketDatabase.open(path: missing, mode: .existing)) { error in
            XCTAssertEqual(error as? StoreError, .noDatabase(path: missing))
            XCTAssertEqual("\(error)", "no database at \(missing)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.url.path), [], "nothing created")

        let path = directory.path("market.db")
        let run = try MarketDatabase.open(path: path).beginRun(scenario: "a", peerCount: 1, seed: 1, peers: [])
        XCTAssertEqual(try MarketDatabase.open(path: path, mode: .existing).latestRunID(), run)
    }

    func testADirectoryOrADeviceIsRefusedByWhatItIs() throws {
        let folder = directory.path("folder.db")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let expected = StoreError.cannotOpen(path: folder, reason: "it is a directory, not a database file")
        XCTAssertThrowsError(try MarketDatabase.open(path: folder)) { XCTAssertEqual($0 as? StoreError, expected) }
        XCTAssertThrowsError(try MarketDatabase.openReadOnly(path: folder)) { XCTAssertEqual($0 as? StoreError, expected) }
        let device = StoreError.cannotOpen(path: "/dev/null", reason: "it is a character device, not a database file")
        XCTAssertThrowsError(try MarketDatabase.open(path: "/dev/null")) { XCTAssertEqual($0 as? StoreError, device) }
        XCTAssertThrowsError(try MarketDatabase.openReadOnly(path: "/dev/null")) { XCTAssertEqual($0 as? StoreError, device) }
    }

    // MARK: Elections

    func testTheStartupElectionIsRecordedAsSuchWhetherOrNotItsNoteLandedFirst() throws {
        let database = try MarketDatabase.open(path: directory.path("startup.db"))
        let store = database.store(runID: try database.beginRun(scenario: "startup", peerCount: 4, seed: 1, peers: []))
        // P3 won P0's startup election by cascade before P0's note landed: the claim says why.
        let early = ElectionClaim(epoch: 1, leader: 3, initiator: 2, reason: .startup)
        XCTAssertEqual(try store.claimEpoch(early), .claimed(early))
        // In the next run the note landed first: it names the peer that began the election.
        let next = database.store(runID: try database.beginRun(scenario: "startup", peerCount: 4, seed: 2, peers: []))
        XCTAssertEqual(try next.noteElectionStarted(by: 0, reason: .startup, knownEpoch: 0), .noted)
        let late = ElectionClaim(epoch: 1, leader: 3, initiator: 2, reason: .startup)
        XCTAssertEqual(try next.claimEpoch(late), .claimed(late))

        let rows = try DatabaseQueue(path: directory.path("startup.db")).read { db in
            try Row.fetchAll(db, sql: "SELECT initiator_id, reason FROM elections ORDER BY run_id")
        }
        XCTAssertEqual(rows.map { $0["reason"] as String }, ["startup", "startup"])
        XCTAssertEqual(rows.map { $0["initiator_id"] as Int }, [2, 0])
    }

    func testAnElectionRecordsWhyItBeganAndWhenWhoeverWinsIt() throws {
        let database = try MarketDatabase.open(path: directory.path("elections.db"))
        let run = try database.beginRun(scenario: "elections", peerCount: 4, seed: 1, peers: [])
        let store = database.store(runID: run)
        // P1 notices the silent trader; P2 joins through Bully's cascade; P3 wins by cascade too.
        XCTAssertEqual(try store.noteElectionStarted(by: 1, reason: .heartbeatTimeout, knownEpoch: 0), .noted)
        XCTAssertEqual(try store.noteElectionStarted(by: 2, reason: .requestTimeout, knownEpoch: 0), .noted)
        XCTAssertEqual(try database.inspect(runID: run).leader.electionInProgress, true)
        let claim = ElectionClaim(epoch: 1, leader: 3, initiator: 2, reason: .bully)
        XCTAssertEqual(try store.claimEpoch(claim), .claimed(claim))
        // Then a recovery that the winner started itself keeps its own reason.
        XCTAssertEqual(try store.noteElectionStarted(by: 0, reason: .heartbeatTimeout, knownEpoch: 1), .noted)
        let own = ElectionClaim(epoch: 2, leader: 3, initiator: 3, reason: .recovery)
        XCTAssertEqual(try store.claimEpoch(own), .claimed(own))

        let rows = try DatabaseQueue(path: directory.path("elections.db")).read { db in
            try Row.fetchAll(db, sql: """
                SELECT epoch, initiator_id, winner_id, reason, started_at <= finished_at AS ordered
                FROM elections WHERE run_id = ? ORDER BY epoch
                """, arguments: [run])
        }
        XCTAssertEqual(rows.map { [$0["epoch"], $0["initiator_id"], $0["winner_id"]] as [Int] }, [[1, 1, 3], [2, 3, 3]])
        XCTAssertEqual(rows.map { $0["reason"] as String }, ["heartbeat timeout", "recovery"])
        XCTAssertEqual(rows.map { $0["ordered"] as Bool }, [true, true])
        XCTAssertEqual(try database.inspect(runID: run).leader.electionInProgress, false)
    }

    func testALateNoteOfAnElectionAClaimEndedLeavesNoElectionInProgress() throws {
        let database = try MarketDatabase.open(path: directory.path("late-note.db"))
        let run = try database.beginRun(scenario: "elections", peerCount: 7, seed: 1, peers: [])
        let store = database.store(runID: run)
        XCTAssertEqual(try store.noteElectionStarted(by: 4, reason: .heartbeatTimeout, knownEpoch: 0), .noted)
        let claim = ElectionClaim(epoch: 1, leader: 6, initiator: 4, reason: .bully)
        XCTAssertEqual(try store.claimEpoch(claim), .claimed(claim))
        // P5 came back from a crash and noted its recovery election before it heard of epoch 1.
        XCTAssertEqual(try store.noteElectionStarted(by: 5, reason: .recovery, knownEpoch: 0), .noted)
        XCTAssertFalse(try database.inspect(runID: run).leader.electionInProgress)
        XCTAssertEqual(try database.progress(runID: run).electionInProgress, false)
        // One that knows epoch 1 does start an election, which a claim or the run's end closes.
        XCTAssertEqual(try store.noteElectionStarted(by: 0, reason: .heartbeatTimeout, knownEpoch: 1), .noted)
        XCTAssertTrue(try database.inspect(runID: run).leader.electionInProgress)
        try database.finishRun(runID: run, status: .completed)
        XCTAssertFalse(try database.inspect(runID: run).leader.electionInProgress, "a finished run has nobody left to elect")
    }

    func setUpTrader() throws -> (MarketDatabase, SQLiteStore) {
        let database = try MarketDatabase.open(path: directory.path("market.db"))
        let run = try database.beginRun(scenario: "test", peerCount: 7, seed: 3, peers: [])
        let store = database.store(runID: run)
        XCTAssertEqual(try store.claimEpoch(StoreContract.claim(1)), .claimed(StoreContract.claim(1)))
        _ = try store.recordDeposit(Deposit(id: 1, seller: StoreContract.seller, product: .salt, quantity: 2), epoch: 1)
        return (database, store)
    }

    // MARK: Two processes

    /// The `sqlite3` shell, a second process, takes the write lock, claims epoch 2 and decides
    /// a request as its trader, while this process's epoch-1 trader is blocked committing the
    /// same request. Once the lock is released, the old trader's batch is refused whole, and
    /// only the decisions of the epoch current when they committed are in the history.
    func testASecondProcessThatClaimsANewerEpochFencesTheFirst() throws {
        let (database, store) = try setUpTrader()
        let a = request(0, 0, 1)
        let b = request(3, 0, 2)
        _ = try store.enqueue(a, epoch: 1)
        _ = try store.enqueue(b, epoch: 1)
        let first = DecisionBatch(epoch: 1, decisions: [StoreContract.bought(a, seq: 1, epoch: 1)])
        XCTAssertEqual(try store.commitDecisions(first), .committed(first))

        let rival = try SQLiteShell(database.path)
        try rival.send(".timeout 10000\nBEGIN IMMEDIATE;\n.print locked\n")
        try rival.waitForLine("locked")

        // The lock is held by the other process: this commit must wait for it.
        let late = DecisionBatch(epoch: 1, decisions: [StoreContract.bought(b, seq: 2, epoch: 1)])
        let box = ResultBox<StoreResult>()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            box.set(Result { try store.commitDecisions(late) })
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 0.3), .timedOut, "the commit waits while the other process holds the lock")
        XCTAssertNil(box.value)
        let run = store.runID
        try rival.send("""
            UPDATE leader SET epoch = 2, leader_id = 5, election_in_progress = 0 WHERE run_id = \(run) AND epoch = 1;
            INSERT INTO elections(run_id, epoch, initiator_id, winner_id, reason, started_at, finished_at)
                VALUES (\(run), 2, 3, 5, 'heartbeat timeout', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
            UPDATE requests SET status = 'bought', epoch_decided = 2, decided_seq = 2, decided_at = '2026-01-01T00:00:00.000Z'
                WHERE run_id = \(run) AND request_id = 'P3-0' AND status = 'pending';
            UPDATE inventory SET stock = stock - 1 WHERE run_id = \(run) AND seller_id = 1 AND product = 'salt';
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                               price_cents, commission_cents, lamport_ts, at)
                VALUES (\(run), 2, 'P3-0', 3, 1, 5, 2, 'salt', 1, 100, 10, 2, '2026-01-01T00:00:00.000Z');
            COMMIT;

            """)
        _ = try rival.finish()
        XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
        XCTAssertEqual(try box.value?.get(), .deposed(current: 2))

        let trades = try sqlite3(database.path, "SELECT trade_id, request_id, trader_id, epoch FROM trades ORDER BY trade_id;")
        XCTAssertEqual(trades, "1|P0-0|6|1\n2|P3-0|5|2\n")
        XCTAssertEqual(try store.enqueue(request(0, 1, 9), epoch: 1), .deposed(current: 2))
        XCTAssertEqual(try store.commitDecisions(late), .deposed(current: 2))
        XCTAssertEqual(try sqlite3(database.path, "SELECT count(*) FROM requests;"), "2\n")
    }
}
