import Foundation
import MarketCore
import MarketStore
import MarketTestKit
import XCTest

/// `market check` on a good history, then on hand-tampered copies of it.
final class HistoryCheckerTests: XCTestCase {
    var directory: TemporaryDirectory!
    var path: String!
    var runID: Int64 = 0

    /// P0 and P3 buy salt; P1 sells salt, P2 boar, P4 fish. P4 trades in epoch 1, falls sick,
    /// P3 takes over in epoch 2 and decides what P4 left; P4 recovers and wins epoch 3. Each
    /// epoch's first batch records its view 0; in epoch 1, P0 falls silent and P4 decides P3's
    /// request in view 1, without it.
    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        path = directory.path("history.db")
        let database = try MarketDatabase.open(path: path)
        let peers = [
            PeerSpec(id: 0, role: .buyer, product: .salt), PeerSpec(id: 1, role: .seller, product: .salt),
            PeerSpec(id: 2, role: .seller, product: .boar), PeerSpec(id: 3, role: .buyer, product: .salt),
            PeerSpec(id: 4, role: .seller, product: .fish),
        ]
        runID = try database.beginRun(scenario: "test_case3", peerCount: 5, seed: 42, peers: peers)
        let store = database.store(runID: runID)
        var ledgers: [PeerID: Ledger] = [:]
        var decisions: [Decision] = []
        func decide(_ request: BuyRequest, _ seq: Int, epoch: Epoch, trader: PeerID, seller: PeerID? = 1,
                    views: [ViewChange] = []) throws {
            let decision = seller.map { StoreContract.bought(request, seq: seq, epoch: epoch, seller: $0, trader: trader) }
                ?? StoreContract.failed(request, seq: seq, epoch: epoch)
            decisions.append(decision)
            let batch = DecisionBatch(epoch: epoch, decisions: [decision], views: views)
            XCTAssertEqual(try store.commitDecisions(batch), .committed(batch))
        }
        func view(_ epoch: Epoch, _ number: Int, trader: PeerID, _ members: [PeerID], dropped: [PeerID] = [],
                  from seq: Int) -> [ViewChange] {
            [ViewChange(epoch: epoch, view: number, trader: trader, members: members, dropped: dropped, firstSeq: seq)]
        }

        _ = try store.noteElectionStarted(by: 0, reason: .startup, knownEpoch: 0)
        XCTAssertEqual(try store.claimEpoch(ElectionClaim(epoch: 1, leader: 4, initiator: 0, reason: .startup)),
                       .claimed(ElectionClaim(epoch: 1, leader: 4, initiator: 0, reason: .startup)))
        _ = try store.recordDeposit(Deposit(id: 1_000_000, seller: 1, product: .salt, quantity: 3), epoch: 1)
        _ = try store.recordDeposit(Deposit(id: 2_000_000, seller: 2, product: .boar, quantity: 5), epoch: 1)
        let r = [
            request(0, 0, 4), request(3, 0, 4),
            request(0, 1, 9), request(3, 1, 11, .fish),
            request(0, 2, 20), request(3, 2, 22),
        ]
        for request in r.prefix(4) { _ = try store.enqueue(request, epoch: 1) }
        try decide(r[0], 1, epoch: 1, trader: 4, views: view(1, 0, trader: 4, [0, 3], from: 1))
        try decide(r[1], 2, epoch: 1, trader: 4, views: view(1, 1, trader: 4, [3], dropped: [0], from: 2))
        try database.recordFault(runID: runID, peer: 4, kind: .sick)

        XCTAssertEqual(try store.claimEpoch(ElectionClaim(epoch: 2, leader: 3, initiator: 0, reason: .heartbeatTimeout)),
                       .claimed(ElectionClaim(epoch: 2, leader: 3, initiator: 0, reason: .heartbeatTimeout)))
        _ = try store.loadTakeover(epoch: 2)
        try decide(r[2], 3, epoch: 2, trader: 3, views: view(2, 0, trader: 3, [0], from: 3))
        try decide(r[3], 4, epoch: 2, trader: 3, seller: nil)
        _ = try store.recordDeposit(Deposit(id: 1_000_001, seller: 1, product: .salt, quantity: 2), epoch: 2)
        try database.recordFault(runID: runID, peer: 4, kind: .recover)

        XCTAssertEqual(try store.claimEpoch(ElectionClaim(epoch: 3, leader: 4, initiator: 4, reason: .recovery)),
                       .claimed(ElectionClaim(epoch: 3, leader: 4, initiator: 4, reason: .recovery)))
        for request in r.suffix(2) { _ = try store.enqueue(request, epoch: 3) }
        try decide(r[4], 5, epoch: 3, trader: 4, views: view(3, 0, trader: 4, [0, 3], from: 5))
        try decide(r[5], 6, epoch: 3, trader: 4)

        ledgers = Ledger.books(of: decisions)
        for peer in peers {
            try database.recordLedger(runID: runID, peer: peer.id, ledger: ledgers[peer.id] ?? Ledger(), finalClock: 30)
        }
        try database.recordMessages(runID: runID, [
            TracedMessage(kind: "buy", from: 0, to: 4, sendClock: 4, recvClock: 5),
            TracedMessage(kind: "ok", from: 4, to: 0, sendClock: 7, recvClock: 8),
            TracedMessage(kind: "heartbeat", from: 2, to: 3, sendClock: 1, recvClock: nil),
        ])
        try database.finishRun(runID: runID, status: .completed)
    }

    override func tearDown() {
        directory = nil
    }

    func check() throws -> CheckReport {
        try HistoryChecker(database: MarketDatabase.openReadOnly(path: path)).check(runID: runID)
    }

    func tamper(_ sql: String) throws {
        _ = try sqlite3(path, sql)
    }

    /// The check of `kind` fails, naming `text`, and every other one passes.
    func assertOnlyFails(_ kind: Violation.Kind, containing text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let report = try check()
        XCTAssertEqual(report.items.filter { !$0.passed }.map(\.kind), [kind], "\(report.lines())", file: file, line: line)
        XCTAssertTrue(report.item(kind)?.violations.allSatisfy { $0.kind == kind } == true, file: file, line: line)
        XCTAssertTrue(report.item(kind)?.violations.contains { $0.detail.contains(text) } == true, "\(report.lines())",
                      file: file, line: line)
    }

    func testAGoodHistoryPasses() throws {
        let report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
        XCTAssertEqual(report.items.map(\.kind), [.decidedOnce, .outcomeMatchesTrades, .goodsConserved, .epochWinner, .epochsOnlyAdvance, .bully, .lamportOrder, .views, .ledgersEqualBooks, .clockCondition, .requestsInSequence])
        func checked(_ kind: Violation.Kind) -> Int? { report.item(kind)?.checked }
        XCTAssertEqual(checked(.decidedOnce), 5)
        XCTAssertEqual(checked(.outcomeMatchesTrades), 6)
        XCTAssertEqual(checked(.goodsConserved), 2)
        XCTAssertEqual(checked(.epochWinner), 3)
        XCTAssertEqual(checked(.epochsOnlyAdvance), 6)
        XCTAssertEqual(checked(.bully), 3)
        XCTAssertEqual(checked(.lamportOrder), 6)
        XCTAssertEqual(checked(.views), 4)
        XCTAssertEqual(checked(.ledgersEqualBooks), 5)
        XCTAssertEqual(checked(.clockCondition), 2)
        XCTAssertEqual(checked(.requestsInSequence), 6)
        XCTAssertEqual(report.verdict, "passed: 11 checks, no violation")
    }

    func testARequestSoldTwice() throws {
        // Even with the store's own guard dropped, the checker sees it.
        try tamper("""
            DROP INDEX trades_one_per_request;
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                               price_cents, commission_cents, lamport_ts, at)
                SELECT run_id, 99, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                       price_cents, commission_cents, lamport_ts, at FROM trades WHERE trade_id = 1;
            """)
        let report = try check()
        XCTAssertEqual(report.item(.decidedOnce)?.violations, [Violation(.decidedOnce, "P0-0 decided a second time (trade 99; first trade 1)")],
                       "\(report.lines())")
        XCTAssertEqual(report.item(.outcomeMatchesTrades)?.passed, false)
    }

    func testTheStoreItselfRefusesASecondTradeForARequest() throws {
        XCTAssertThrowsError(try tamper("""
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity, price_cents)
                VALUES (\(runID), 98, 'P0-0', 0, 1, 4, 1, 'salt', 1, 100);
            """))
    }

    func testStockThatNoDepositExplains() throws {
        try tamper("UPDATE inventory SET stock = stock + 5 WHERE seller_id = 2;")
        try assertOnlyFails(.goodsConserved, containing: "P2 boar: stock 10 is not deposited 5 − sold 0 = 5")
    }

    func testGoodsSoldThatWereNeverDeposited() throws {
        try tamper("""
            DELETE FROM deposits WHERE deposit_id = 1000001;
            UPDATE inventory SET deposited = deposited - 2, stock = stock - 2 WHERE seller_id = 1;
            """)
        try assertOnlyFails(.goodsConserved, containing: "P1 salt: 5 sold but only 3 deposited")
    }

    func testATradeFromAnOlderEpochAfterNewerOnes() throws {
        try tamper("""
            INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, status, epoch_received,
                                 epoch_decided, decided_seq)
                VALUES (\(runID), 'P0-3', 0, 'boar', 1, 30, 'bought', 1, 1, 7);
            INSERT INTO trades(run_id, trade_id, request_id, buyer_id, seller_id, trader_id, epoch, product, quantity,
                               price_cents, commission_cents, lamport_ts)
                VALUES (\(runID), 7, 'P0-3', 0, 2, 4, 1, 'boar', 1, 100, 10, 30);
            UPDATE inventory SET stock = stock - 1 WHERE seller_id = 2;
            UPDATE peers SET bought = bought + 1, cash_cents = cash_cents - 100 WHERE peer_id = 0;
            UPDATE peers SET sold = sold + 1, cash_cents = cash_cents + 90 WHERE peer_id = 2;
            UPDATE peers SET cash_cents = cash_cents + 10 WHERE peer_id = 4;
            """)
        try assertOnlyFails(.epochsOnlyAdvance, containing: "trade 7 is of epoch 1, after trade 5 of epoch 3")
    }

    func testATradeByAPeerThatDidNotWinItsEpoch() throws {
        try tamper("""
            UPDATE trades SET trader_id = 2 WHERE trade_id = 3;
            UPDATE peers SET cash_cents = cash_cents - 10 WHERE peer_id = 3;
            UPDATE peers SET cash_cents = cash_cents + 10 WHERE peer_id = 2;
            """)
        try assertOnlyFails(.epochWinner, containing: "trade 3 was made by P2 in epoch 2, won by P3")
    }

    func testAMissingEpoch() throws {
        try tamper("DELETE FROM elections WHERE epoch = 2;")
        let report = try check()
        XCTAssertTrue(report.item(.epochWinner)?.violations.contains(Violation(.epochWinner, "claim #2 is for epoch 3")) == true,
                      "\(report.lines())")
    }

    /// P2 wins epochs 2 and 3 (and trades in them) while P3 is up and never takes over.
    static let p2WinsEpochs2And3 = """
            UPDATE elections SET winner_id = 2 WHERE epoch IN (2, 3);
            UPDATE trades SET trader_id = 2 WHERE epoch IN (2, 3);
            UPDATE peers SET cash_cents = cash_cents - 10 WHERE peer_id = 3;
            UPDATE peers SET cash_cents = cash_cents - 20 WHERE peer_id = 4;
            UPDATE peers SET cash_cents = cash_cents + 30 WHERE peer_id = 2;
            UPDATE leader SET leader_id = 2;
        """

    func testALowerPeerWinsWhileAHigherOneIsUp_andItNeverTakesOver() throws {
        try tamper(Self.p2WinsEpochs2And3)
        try assertOnlyFails(.bully, containing: "epoch 2 was won by P2, but P3 was up and never took over")
    }

    /// Asynchrony, not a bug: P3 was up but too slow to answer P2's ELECTION in time; a higher
    /// peer then took over (P4 won epoch 3), which is what Bully promises.
    func testALowerWinnerFollowedByAHigherOnesTakeover_passes() throws {
        try tamper("""
            UPDATE elections SET winner_id = 2 WHERE epoch = 2;
            UPDATE trades SET trader_id = 2 WHERE epoch = 2;
            UPDATE peers SET cash_cents = cash_cents - 10 WHERE peer_id = 3;
            UPDATE peers SET cash_cents = cash_cents + 10 WHERE peer_id = 2;
            """)
        let report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
    }

    /// A higher peer that went down before it could take over owed nothing.
    func testALowerWinnerWhileAHigherPeerIsUpThatThenFalls_passes() throws {
        try tamper(Self.p2WinsEpochs2And3 + """
            INSERT INTO faults(run_id, peer_id, kind, at)
              SELECT run_id, 3, 'crash', finished_at FROM elections WHERE epoch = 3;
            """)
        let report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
    }

    /// A higher peer whose host was cut off (recorded `unreachable`) is not up: a lower
    /// winner meanwhile owed it nothing.
    func testALowerWinnerWhileAHigherPeerIsUnreachable_passes() throws {
        try tamper(Self.p2WinsEpochs2And3 + """
            INSERT INTO faults(run_id, peer_id, kind, at) VALUES (\(runID), 3, 'unreachable', '2000-01-01T00:00:00.000Z');
            """)
        let report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
    }

    /// Once its host answers again (`reachable`) it is up: a lower winner after that is a violation.
    func testALowerWinnerAfterTheHigherPeersHostAnswersAgain_fails() throws {
        try tamper(Self.p2WinsEpochs2And3 + """
            INSERT INTO faults(run_id, peer_id, kind, at) VALUES (\(runID), 3, 'unreachable', '2000-01-01T00:00:00.000Z');
            INSERT INTO faults(run_id, peer_id, kind, at)
              SELECT run_id, 3, 'reachable', finished_at FROM elections WHERE epoch = 2;
            """)
        try assertOnlyFails(.bully, containing: "epoch 3 was won by P2")
    }

    /// Peers told to stop leave one by one; one that sees another go may start an election.
    /// What begins once the run is ending (`runs.stopping_at`) is not judged.
    func testALowerWinnerOnceTheRunWasEnding_isNotHeldAgainstBully() throws {
        try tamper(Self.p2WinsEpochs2And3 + """
            UPDATE runs SET stopping_at = (SELECT coalesce(started_at, finished_at) FROM elections WHERE epoch = 2);
            """)
        let report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
        XCTAssertEqual(report.item(.bully)?.checked, 1, "epochs 2 and 3 began after the run began to end")
    }

    func testACompletedRunInWhichAPeerWroteNoLedger_fails() throws {
        try tamper("UPDATE peers SET bought = NULL, sold = NULL, cash_cents = NULL, final_clock = NULL WHERE peer_id = 2;")
        try assertOnlyFails(.ledgersEqualBooks, containing: "P2 took part in a completed run but wrote no ledger")
    }

    /// An interrupted run's peers leave without their ledgers, and a peer down from the start has none.
    func testMissingLedgersOfAnInterruptedRunOrOfAPeerDownFromTheStart_pass() throws {
        try tamper("""
            UPDATE peers SET bought = NULL, sold = NULL, cash_cents = NULL, final_clock = NULL WHERE peer_id = 2;
            UPDATE runs SET status = 'interrupted';
            """)
        var report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
        try tamper("""
            UPDATE peers SET down_at_start = 1 WHERE peer_id = 2;
            UPDATE runs SET status = 'completed';
            """)
        report = try check()
        XCTAssertTrue(report.passed, report.lines().joined(separator: "\n"))
    }

    func testAPeerDownFromTheStartWins() throws {
        try tamper("""
            INSERT INTO faults(run_id, peer_id, kind, at) VALUES (\(runID), 3, 'down_at_start', '2000-01-01T00:00:00.000Z');
            """)
        try assertOnlyFails(.bully, containing: "epoch 2 was won by P3, which was down")
    }

    func testDecisionsOutOfLamportOrder() throws {
        try tamper("UPDATE requests SET lamport_ts = 25 WHERE request_id = 'P0-2'; UPDATE trades SET lamport_ts = 25 WHERE trade_id = 5;")
        try assertOnlyFails(.lamportOrder, containing: "decision 6 P3-2 (22, P3) comes after decision 5 P0-2 (25, P0)")
    }

    func testAReadmittedBuyersRequestOrderedBeforeWhatWasDecidedWithoutIt() throws {
        // P3-0 stamped below P0-0, yet decided after it, in the next view: had it been stamped
        // while P0 was out of the view, it must have been stamped again.
        try tamper("UPDATE requests SET lamport_ts = 3 WHERE request_id = 'P3-0'; UPDATE trades SET lamport_ts = 3 WHERE trade_id = 2;")
        try assertOnlyFails(.lamportOrder, containing: "decision 2 P3-0 (3, P3), the first of view 1, is ordered before decision 1 P0-0 (4, P0) of view 0")
    }

    func testAViewWhoseMembersAreNotWhatItsRowsSay() throws {
        try tamper("UPDATE views SET members = '0 3' WHERE epoch = 1 AND view = 1;")
        try assertOnlyFails(.views, containing: "epoch 1 view 1 has members P0 P3; view 0's P0 P3 with its changes are P3")
    }

    func testAViewThatDropsAPeerItNeverHad() throws {
        try tamper("UPDATE views SET dropped = '0 2', members = '3' WHERE epoch = 1 AND view = 1;")
        try assertOnlyFails(.views, containing: "epoch 1 view 1 drops P2, not members of view 0")
    }

    func testADecisionInNoRecordedView() throws {
        try tamper("DELETE FROM views WHERE epoch = 2;")
        try assertOnlyFails(.views, containing: "decision 3 (P0-1) of epoch 2 is in no recorded view")
    }

    func testBoughtWithoutATrade() throws {
        try tamper("UPDATE requests SET status = 'bought' WHERE request_id = 'P3-1';")
        try assertOnlyFails(.outcomeMatchesTrades, containing: "request P3-1 is bought but has 0 trades")
    }

    func testALedgerThatDisagreesWithTheTrades() throws {
        try tamper("UPDATE peers SET cash_cents = cash_cents + 1 WHERE peer_id = 1;")
        try assertOnlyFails(.ledgersEqualBooks, containing: "P1's ledger says bought 0, sold 5, cash 451¢; the trades say bought 0, sold 5, cash 450¢")
    }

    func testAMessageReceivedBeforeItWasSent() throws {
        try tamper("INSERT INTO messages(run_id, kind, from_id, to_id, send_clock, recv_clock) VALUES (\(runID), 'ack', 1, 4, 12, 12);")
        try assertOnlyFails(.clockCondition, containing: "(ack P1→P4) sent at clock 12, received at clock 12")
    }

    /// A buyer restored after a crash counts its recorded requests as done and goes on from the
    /// highest: a request lost from the middle would end the run short, and only this check says so.
    func testARequestMissingFromTheMiddleOfABuyersNumbers() throws {
        try tamper("DELETE FROM requests WHERE request_id = 'P3-1';")
        try assertOnlyFails(.requestsInSequence, containing: "P3-1 is missing, yet P3-2 is recorded")
    }

    func testEachHoleInABuyersNumbersAndEachMisfiledRequestIsOneViolation() throws {
        try tamper("DELETE FROM requests WHERE request_id IN ('P3-0', 'P3-1'); UPDATE requests SET request_id = 'P3-0' WHERE request_id = 'P0-0';")
        let report = try check()
        XCTAssertEqual(report.item(.requestsInSequence)?.violations.map(\.detail),
                       ["request P3-0 is recorded for buyer P0", "P0-0 is missing, yet P0-1 is recorded",
                        "P3-1 is missing, yet P3-2 is recorded"])
    }

    func testAReportInJSONNamesEachCheckAndListsItsViolationsAsLines() throws {
        try tamper("UPDATE peers SET cash_cents = cash_cents + 1 WHERE peer_id = 1;")
        let report = try check()
        let json = try JSONEncoder().encode(report)
        let items = try XCTUnwrap((try JSONSerialization.jsonObject(with: json) as? [String: Any])?["items"] as? [[String: Any]])
        let ledgers = try XCTUnwrap(items.first { $0["kind"] as? String == "ledgers" })
        XCTAssertEqual(ledgers["name"] as? String, "ledgers equal the books from trades")
        XCTAssertEqual((ledgers["violations"] as? [String])?.first?.hasPrefix("P1's ledger says"), true)
        XCTAssertEqual(try JSONDecoder().decode(CheckReport.self, from: json), report)
    }

    func testAValueOfTheWrongTypeIsAOneLineErrorNotACrash() throws {
        try tamper("UPDATE trades SET quantity = 'lots' WHERE trade_id = 1;")
        XCTAssertThrowsError(try check()) { error in
            guard case .malformed(let column, let value)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(column, "quantity")
            XCTAssertTrue(value.contains("lots"), value)
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    func testInspectShowsTheRunAsTheDatabaseHoldsIt() throws {
        try tamper("""
            INSERT INTO requests(run_id, request_id, buyer_id, product, quantity, lamport_ts, epoch_received)
                VALUES (\(runID), 'P0-3', 0, 'salt', 1, 31, 3), (\(runID), 'P3-3', 3, 'salt', 1, 30, 3);
            """)
        let database = try MarketDatabase.openReadOnly(path: path)
        XCTAssertEqual(try database.resolveRun(nil), runID)
        XCTAssertThrowsError(try database.resolveRun(runID + 1)) { XCTAssertEqual($0 as? StoreError, .noSuchRun(runID + 1)) }
        let inspection = try database.inspect(runID: runID, head: 5, trades: 3)
        XCTAssertEqual(inspection.run.scenario, "test_case3")
        XCTAssertEqual(inspection.run.status, .completed)
        XCTAssertEqual(inspection.leader.epoch, 3)
        XCTAssertEqual(inspection.leader.leader, 4)
        XCTAssertFalse(inspection.leader.electionInProgress)
        XCTAssertEqual(inspection.elections.map(\.winner), [4, 3, 4])
        XCTAssertEqual(inspection.elections.map(\.reason), ["startup", "heartbeat timeout", "recovery"])
        XCTAssertEqual(inspection.inventory.map(\.stock), [0, 5])
        XCTAssertEqual(inspection.pendingCount, 2)
        XCTAssertEqual(inspection.pendingHead.map(\.requestID), ["P3-3", "P0-3"], "Lamport order")
        XCTAssertEqual(inspection.bought, 5)
        XCTAssertEqual(inspection.failed, 1)
        XCTAssertEqual(inspection.undeliveredOutbox, 11)
        XCTAssertEqual(inspection.faults, 2)
        XCTAssertEqual(inspection.lastTrades.map(\.tradeID), [6, 5, 3], "newest first")
        XCTAssertEqual(inspection.peers.map(\.cashCents), [-300, 450, 0, -190, 40], "P3 and P4 earned commissions as traders")
        XCTAssertTrue(inspection.check.passed, inspection.check.lines().joined(separator: "\n"))
        XCTAssertEqual(try database.runs().map(\.pending), [2])
    }
}
