import Foundation
import MarketCore
@testable import MarketStore
import MarketTestKit
import XCTest

/// On PostgreSQL each of the trader's hot writes is one statement, so one round trip to the
/// server, however many rows it writes: the server functions of migration 0006. Through the
/// SQL of the SQLite path a batch of three sales took 22.
final class PostgresRoundTripTests: XCTestCase {
    /// A fresh database on the private server with a run whose trader, P3, holds epoch 1; the
    /// connection whose round trips are counted.
    private func tradingStore(_ name: String) throws -> (MarketDatabase, Int64, SQLiteStore, PostgresServerConnection) {
        let database = try MarketDatabase.open(url: try privatePostgres().createDatabase(name))
        let run = try database.beginRun(scenario: name, peerCount: 4, seed: 1, peers: [])
        let store = try database.store(runID: run)
        let claim = ElectionClaim(epoch: 1, leader: 3, initiator: 0, reason: .startup)
        XCTAssertEqual(try store.claimEpoch(claim), .claimed(claim))
        return (database, run, store, try XCTUnwrap(database.connection as? PostgresServerConnection))
    }

    func testEachHotWriteIsOneRoundTripWhateverItWrites() throws {
        let (database, run, store, connection) = try tradingStore("round_trips")
        func roundTrips(_ body: () throws -> StoreResult) throws -> (Int, StoreResult) {
            let before = connection.roundTrips.value
            let result = try body()
            return (connection.roundTrips.value - before, result)
        }

        let deposit = Deposit(id: Deposit.makeID(seller: 1, seq: 0), seller: 1, product: .salt, quantity: 10)
        let (depositTrips, deposited) = try roundTrips { try store.recordDeposit(deposit, epoch: 1) }
        XCTAssertEqual(deposited, .depositRecorded(deposit, duplicate: false))
        XCTAssertEqual(depositTrips, 1)

        let requests = (1...3).map { BuyRequest(id: RequestID(buyer: 2, seq: $0), product: .salt, quantity: 1, lamport: UInt64($0)) }
        let (enqueueTrips, enqueued) = try roundTrips { try store.enqueue(requests[0], epoch: 1) }
        XCTAssertEqual(enqueued, .enqueued(requests[0]))
        XCTAssertEqual(enqueueTrips, 1)

        // Three sales, one of them never enqueued, and a delivery confirmed with them: six
        // outbox rows, three trades, three stock updates, in one call.
        let decisions = requests.enumerated().map { index, request in
            Decision(request: request, outcome: .bought(Trade(
                tradeID: index + 1, seller: 1, trader: 3, epoch: 1, product: .salt, quantity: 1,
                priceCents: 100, commissionCents: 10)), seq: index + 1, epoch: 1)
        }
        let batch = DecisionBatch(epoch: 1, decisions: decisions)
        let (commitTrips, committed) = try roundTrips { try store.commitDecisions(batch) }
        XCTAssertEqual(committed, .committed(batch, alreadyDecided: []))
        XCTAssertEqual(commitTrips, 1)

        let keys = requests.map { DeliveryKey(requestID: $0.id, recipient: 2) }
        let (deliveredTrips, delivered) = try roundTrips { try store.markDelivered(keys) }
        XCTAssertEqual(delivered, .markedDelivered(keys))
        XCTAssertEqual(deliveredTrips, 1)

        // What the calls wrote, as the SQLite path writes it.
        let (stock, trades, owed) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT stock FROM inventory WHERE run_id = ?", arguments: [run]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM trades WHERE run_id = ?", arguments: [run]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE run_id = ? AND delivered = 0", arguments: [run]))
        }
        XCTAssertEqual(stock, 7)
        XCTAssertEqual(trades, 3)
        XCTAssertEqual(owed, 3, "the three payouts are still owed; the buyers' results were confirmed")
    }

    /// `--trace` writes every message a peer saw; one statement, kept in order, every field.
    func testTracedMessagesAreOneRoundTripInTheirOrder() throws {
        let server = try privatePostgres()
        let database = try MarketDatabase.open(url: try server.createDatabase("traced_round_trips"))
        let run = try database.beginRun(scenario: "traced", peerCount: 3, seed: 1, peers: [])
        let connection = try XCTUnwrap(database.connection as? PostgresServerConnection)
        let sent = Date(timeIntervalSince1970: 1_800_000_000.123456)
        let messages = (0..<5).map { index in
            TracedMessage(kind: index == 4 ? "buy" : "heartbeat", from: index % 3, to: (index + 1) % 3, sendClock: UInt64(10 + index),
                          recvClock: index == 2 ? nil : UInt64(20 + index), sentAt: sent, receivedAt: index == 2 ? nil : sent)
        }
        let before = connection.roundTrips.value
        try database.recordMessages(runID: run, messages)
        XCTAssertEqual(connection.roundTrips.value - before, 1)
        let stored = try database.read { db in
            try db.rows(sql: """
                SELECT kind, from_id, to_id, send_clock, recv_clock, sent_at, received_at FROM messages WHERE run_id = ? ORDER BY msg_id
                """, arguments: [run])
        }
        XCTAssertEqual(try stored.map { try $0.get("send_clock") as Int }, [10, 11, 12, 13, 14])
        XCTAssertEqual(try stored.map { try $0.get("kind") as String }, ["heartbeat", "heartbeat", "heartbeat", "heartbeat", "buy"])
        XCTAssertEqual(try stored.map { try $0.optional("recv_clock") as Int? }, [20, 21, nil, 23, 24])
        XCTAssertEqual(try stored[0].get("sent_at") as String, Timestamp.format(sent))
        XCTAssertNil(try stored[2].optional("received_at") as String?)
        XCTAssertEqual(try stored.map { try $0.get("to_id") as Int }, [1, 2, 0, 1, 2])
    }

    /// What a trader asked while its last call was on its way goes in one round trip, in order;
    /// the first request refused ends the group, the ones before it kept and answered.
    func testRequestsAskedTogetherShareOneRoundTripAndStopAtTheFirstRefusal() throws {
        let (database, run, store, connection) = try tradingStore("grouped_round_trips")

        let deposit = Deposit(id: Deposit.makeID(seller: 1, seq: 0), seller: 1, product: .salt, quantity: 1)
        let requests = (1...3).map { BuyRequest(id: RequestID(buyer: 2, seq: $0), product: .salt, quantity: 1, lamport: UInt64($0)) }
        func sale(_ index: Int) -> Decision {
            Decision(request: requests[index], outcome: .bought(Trade(
                tradeID: index + 1, seller: 1, trader: 3, epoch: 1, product: .salt, quantity: 1,
                priceCents: 100, commissionCents: 10)), seq: index + 1, epoch: 1)
        }
        let first = DecisionBatch(epoch: 1, decisions: [sale(0)])
        // The second sale finds no stock left: refused whole, and the enqueue after it never runs.
        let second = DecisionBatch(epoch: 1, decisions: [sale(1)])
        let group: [StoreRequest] = [
            .recordDeposit(deposit, epoch: 1), .enqueue(requests[0], epoch: 1), .commitDecisions(first),
            .markDelivered([DeliveryKey(requestID: requests[0].id, recipient: 2)]), .commitDecisions(second),
            .enqueue(requests[2], epoch: 1),
        ]
        let before = connection.roundTrips.value
        let (results, stop) = store.performInOrder(group[...])
        XCTAssertEqual(connection.roundTrips.value - before, 1, "six requests, one round trip")
        XCTAssertEqual(results, [
            .depositRecorded(deposit, duplicate: false), .enqueued(requests[0]), .committed(first, alreadyDecided: []),
            .markedDelivered([DeliveryKey(requestID: requests[0].id, recipient: 2)]),
        ])
        guard case StoreError.refused(.insufficientStock(seller: 1, product: .salt, quantity: 1))? = stop as? StoreError else {
            return XCTFail("the group did not stop at the sale without stock: \(String(describing: stop))")
        }
        let (trades, third) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM trades WHERE run_id = ?", arguments: [run]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM requests WHERE run_id = ? AND request_id = ?",
                              arguments: [run, requests[2].id.description]))
        }
        XCTAssertEqual(trades, 1, "the refused sale wrote nothing")
        XCTAssertEqual(third, 0, "a request after the refusal ran")
    }
}
