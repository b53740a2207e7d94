import Foundation
import MarketCore
import MarketStore
import MarketTestKit
import XCTest

/// Two OS processes write as traders through `SQLiteStore`: this one as P3 in epoch 1, which
/// the others take for sick but which goes on committing, and a second one — this test binary
/// started again, running only `SecondTraderProcess` — as P2, which claims epoch 2 meanwhile,
/// takes the queue over and decides its head.
/// Whatever the interleaving, only the decisions of the epoch current when they committed
/// land, and the history passes `market check`.
final class TwoTraderProcessesTests: XCTestCase {
    static let environmentKey = "MARKET_STORE_SECOND_TRADER"

    func testOnlyTheCurrentEpochsDecisionsLand() throws {
        let directory = try TemporaryDirectory()
        try race(on: directory.path("market.db"))
    }

    /// The same race on a PostgreSQL database: the leader row's lock is the fence there.
    func testOnlyTheCurrentEpochsDecisionsLandOnPostgreSQL() throws {
        let server = try privatePostgres()
        let url = try server.createDatabase("two_traders")
        // Thousands of one-row commits set the race up; each waiting for its own fsync made
        // this test the slowest of all. The fence is the leader row's lock, not the flush, so
        // asynchronous commit (for this database's sessions only) leaves what is raced intact.
        _ = try server.psql(url: url, """
            DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$;
            """)
        try race(on: url)
    }

    /// The race on the database `path` names (a file, or a server's URL).
    func race(on path: String) throws {
        let binary = ProcessInfo.processInfo.arguments[0]
        guard binary.hasSuffix(".xctest"), FileManager.default.isExecutableFile(atPath: binary) else {
            throw XCTSkip("needs the test binary itself to start a second process (\(binary))")
        }
        let database = try MarketDatabase.open(path: path)
        let peers = [
            PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
            PeerSpec(id: 2, role: .seller, product: .boar), PeerSpec(id: 3, role: .seller, product: .boar),
        ]
        let runID = try database.beginRun(scenario: "two traders", peerCount: 4, seed: 9, peers: peers)
        let store = database.store(runID: runID)
        XCTAssertEqual(try store.claimEpoch(ElectionClaim(epoch: 1, leader: 3, initiator: 0, reason: .startup)),
                       .claimed(ElectionClaim(epoch: 1, leader: 3, initiator: 0, reason: .startup)))
        let count = 2000
        _ = try store.recordDeposit(Deposit(id: 1_000_000, seller: 1, product: .salt, quantity: count), epoch: 1)
        let requests = (0..<count).map { request(0, $0, UInt64(2 * $0 + 1)) }
        for request in requests { _ = try store.enqueue(request, epoch: 1) }
        XCTAssertEqual(try store.commitDecisions(DecisionBatch(epoch: 1, decisions: [
            StoreContract.bought(requests[0], seq: 1, epoch: 1, trader: 3),
        ])), .committed(DecisionBatch(epoch: 1, decisions: [StoreContract.bought(requests[0], seq: 1, epoch: 1, trader: 3)])))

        try database.recordFault(runID: runID, peer: 3, kind: .sick)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["MarketStoreTests.SecondTraderProcess/testSecondTrader"]
        child.environment = ProcessInfo.processInfo.environment.merging(
            [Self.environmentKey: "\(path)|\(runID)"], uniquingKeysWith: { $1 })
        let output = Pipe()
        let input = Pipe()
        child.standardOutput = output
        child.standardError = output
        child.standardInput = input
        try child.run()
        defer { if child.isRunning { child.terminate() } }
        // A handshake: the child has its connection open; from "go" on, its claim races this
        // process's commits.
        var heard = Data()
        while !String(decoding: heard, as: UTF8.self).contains("second trader ready\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { return XCTFail("the second process ended before it was ready: \(String(decoding: heard, as: UTF8.self))") }
            heard.append(chunk)
        }
        try input.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))

        // Keep deciding, one decision per transaction, until the store says epoch 1 is over.
        var landed = 1
        var deposed: Epoch?
        for (index, request) in requests.enumerated().dropFirst() {
            let batch = DecisionBatch(epoch: 1, decisions: [StoreContract.bought(request, seq: index + 1, epoch: 1, trader: 3)])
            switch try store.commitDecisions(batch) {
            case .committed: landed += 1
            case .deposed(let current): deposed = current
            default: XCTFail("unexpected answer")
            }
            if deposed != nil { break }
            // Paced, so that the other process's claim (a millisecond after "go") lands in the
            // middle even on a loaded machine: the decisions span a second or more.
            usleep(500)
        }
        let log = heard + output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        XCTAssertEqual(child.terminationStatus, 0, String(decoding: log, as: UTF8.self))
        XCTAssertLessThan(landed, count, "the second trader took office while the first was still deciding")

        // Once the second process has claimed epoch 2, every write of epoch 1 is refused.
        let late = DecisionBatch(epoch: 1, decisions: [StoreContract.bought(requests[count - 1], seq: count, epoch: 1, trader: 3)])
        XCTAssertEqual(try store.commitDecisions(late), .deposed(current: 2))
        XCTAssertEqual(try store.enqueue(request(0, count, 5), epoch: 1), .deposed(current: 2))
        XCTAssertEqual(deposed, 2, "the first trader was told it is deposed")

        let progress = try database.progress(runID: runID)
        XCTAssertEqual(progress.epoch, 2)
        XCTAssertEqual(progress.leader, 2)
        XCTAssertEqual(progress.takeovers, 1, "the second trader's decision was queued in epoch 1")
        XCTAssertEqual(progress.undelivered, 2 * progress.bought, "nobody confirmed anything")
        XCTAssertEqual(progress.bought, landed + 1, "epoch 1's decisions and the one the second trader made")
        let trades = try database.trades(runID: runID)
        XCTAssertEqual(trades.filter { $0.epoch == 1 }.map(\.tradeID), Array(1...landed))
        XCTAssertEqual(trades.filter { $0.epoch == 2 }.map(\.tradeID), [landed + 1])
        XCTAssertEqual(trades.count, landed + 1)
        let report = try HistoryChecker(database: MarketDatabase.openReadOnly(path: path)).check(runID: runID)
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
    }
}

/// The second trader, run only as a child process of `TwoTraderProcessesTests`.
final class SecondTraderProcess: XCTestCase {
    func testSecondTrader() throws {
        guard let setting = ProcessInfo.processInfo.environment[TwoTraderProcessesTests.environmentKey] else {
            throw XCTSkip("runs only as the second process of TwoTraderProcessesTests")
        }
        let parts = setting.split(separator: "|")
        let path = String(parts[0])
        let runID = try XCTUnwrap(Int64(parts[1]))
        let store = try MarketDatabase.open(path: path).store(runID: runID)
        print("second trader ready")
        fflush(nil)
        guard readLine() == "go" else { return XCTFail("no go from the first process") }
        let claim = ElectionClaim(epoch: 2, leader: 2, initiator: 0, reason: .heartbeatTimeout)
        XCTAssertEqual(try store.claimEpoch(claim), .claimed(claim))
        guard case .takeover(let takeover) = try store.loadTakeover(epoch: 2) else {
            return XCTFail("no takeover")
        }
        guard let head = takeover.pending.first else { return XCTFail("the first trader decided everything: no race") }
        XCTAssertEqual(takeover.pending.map(\.id.seq), Array(head.id.seq..<(head.id.seq + takeover.pending.count)))
        let decision = StoreContract.bought(head, seq: takeover.lastDecisionSeq + 1, epoch: 2, trader: 2)
        XCTAssertEqual(try store.commitDecisions(DecisionBatch(epoch: 2, decisions: [decision])),
                       .committed(DecisionBatch(epoch: 2, decisions: [decision])))
    }
}
