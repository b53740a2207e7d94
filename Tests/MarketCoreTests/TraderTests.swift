import MarketTestKit
import XCTest
@testable import MarketCore

/// The trader's deposits, outbox and takeover, driven through `Peer.step`.
final class TraderTests: TraderTestCase {
    // MARK: Deposits

    func testADepositIsRecordedThenAccepted() {
        let t = trader(deposits: [])
        let d = deposit(1, 0, .fish, 100)
        t.receive(.deposit(d), from: 1, clock: 6)
        XCTAssertEqual(t.persists, [.recordDeposit(d, epoch: 1)])
        XCTAssertEqual(t.sends, [])
        t.persisted(.depositRecorded(d, duplicate: false))
        XCTAssertEqual(t.sends.map(\.message), [.depositAccepted(depositID: d.id)])
        XCTAssertEqual(t.sends.map(\.to), [1])
        XCTAssertEqual(t.peer.trader?.inventory.stock(of: .fish, seller: 1), 100)

        t.receive(.deposit(d), from: 1, clock: 8)
        t.persisted(.depositRecorded(d, duplicate: true))
        XCTAssertEqual(t.sends.map(\.message), [.depositAccepted(depositID: d.id)], "a re-sent deposit is accepted again")
        XCTAssertEqual(t.peer.trader?.inventory.stock(of: .fish, seller: 1), 100, "and counted once")
    }

    func testADepositSellsOnceRecorded() {
        let t = trader(deposits: [])
        let d = deposit(1, 0, .salt, 1)
        t.receive(.deposit(d), from: 1, clock: 3)
        t.persisted(.depositRecorded(d, duplicate: false))
        XCTAssertEqual(decide(t, request(0, 0, 6))?.decisions.first?.outcome.trade?.seller, 1)
    }

    func testAFollowerIgnoresDeposits() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1)
        p.receive(.deposit(deposit(2, 0, .boar, 1)), from: 2, clock: 9)
        XCTAssertEqual(p.persists, [])
        XCTAssertEqual(p.sends, [])
    }

    // MARK: Outbox

    func testConfirmationsAreWrittenDownOnce() {
        let t = trader()
        let r = request(0, 0, 6)
        t.persisted(.committed(decide(t, r)!))
        t.receive(.delivered([r.id]), from: 0, clock: 20)
        t.receive(.delivered([r.id]), from: 0, clock: 21)
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 1, "the payout to P1 is still out")
        t.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(t.persists, [.markDelivered([DeliveryKey(requestID: r.id, recipient: 0)])])
        t.receive(.delivered([r.id]), from: 1, clock: 22)
        t.fire(.heartbeat, at: .ms(200))
        XCTAssertEqual(t.persists, [], "one flush at a time")
        t.persisted(.markedDelivered([DeliveryKey(requestID: r.id, recipient: 0)]))
        t.fire(.heartbeat, at: .ms(300))
        XCTAssertEqual(t.persists, [.markDelivered([DeliveryKey(requestID: r.id, recipient: 1)])])
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 0)
    }

    func testConfirmationsRideWithTheNextBatch() {
        let t = trader()
        let r = request(0, 0, 6)
        t.persisted(.committed(decide(t, r)!))
        t.receive(.delivered([r.id]), from: 0, clock: 20)
        let next = decide(t, request(0, 1, 30))
        XCTAssertEqual(next?.delivered, [DeliveryKey(requestID: r.id, recipient: 0)])
        t.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(t.persists, [], "nothing left to flush")
    }

    func testUnconfirmedResultsAreResentToLivePeers() {
        let t = trader()
        let r = request(0, 0, 6)
        let batch = decide(t, r)!
        t.persisted(.committed(batch), at: .ms(100))
        t.heartbeat(from: 0, clock: 40, at: .ms(1500))
        t.fire(.heartbeat, at: .ms(1599))
        XCTAssertEqual(t.sent(to: 0), [.heartbeat(epoch: 1, leader: 3)], "not due yet")
        t.fire(.heartbeat, at: .ms(1600))
        let sale = batch.decisions[0].outcome.trade!
        XCTAssertEqual(t.sent(to: 0), [.buyResult(r.id, .bought(sale))], "no heartbeat a millisecond after the last")
        XCTAssertEqual(t.sent(to: 1), [], "P1 is silent: no payout re-sent")
    }

    func testTheTraderHeartbeatsOnlyPeersItSentNothingForAPeriod() {
        let t = trader()
        t.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(t.effects.recipients(of: .heartbeat(epoch: 1, leader: 3)), [0, 1, 2])
        XCTAssertEqual(Set(t.sends.map(\.clock)).count, 1, "one send event")
        t.receive(.buy(request(0, 0, 40)), from: 0, clock: 40, at: .ms(150))
        t.persisted(.enqueued(request(0, 0, 40)))
        XCTAssertEqual(t.sent(to: 0), [.queued(RequestID(buyer: 0, seq: 0))])
        t.fire(.heartbeat, at: .ms(200))
        XCTAssertEqual(t.effects.recipients(of: .heartbeat(epoch: 1, leader: 3)), [1, 2], "P0 just heard from the trader")
    }

    func testACommitAfterSteppingDownDeliversNothingButTheCommissionIsEarned() {
        let t = trader()
        let batch = decide(t, request(0, 0, 6))!
        t.receive(.coordinator(epoch: 2), from: 2, clock: 50)
        XCTAssertNil(t.peer.trader)
        t.persisted(.committed(batch))
        XCTAssertEqual(t.sends, [], "the next trader re-sends from the outbox")
        XCTAssertEqual(t.peer.ledger.cashCents, 10)
    }

    func testASickTraderStillEarnsACommittedCommission() {
        let t = trader()
        let batch = decide(t, request(0, 0, 6))!
        t.command(.fallSick(.silent))
        t.persisted(.committed(batch))
        XCTAssertEqual(t.effects, [])
        XCTAssertEqual(t.peer.ledger.cashCents, 10)
    }

    func testTheTraderFallsSickRightAfterQueuing() {
        let t = trader(sickRate: 1)
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        everyoneSpeaks(t, clock: 20, except: [0])
        t.persisted(.enqueued(r))
        let queued = t.effects.firstIndex(of: .send(Envelope(from: 3, to: 0, clock: t.sends.first?.clock ?? 0, message: .queued(r.id))))
        let sick = t.effects.firstIndex(of: .fellSick(.silent))
        XCTAssertNotNil(queued)
        XCTAssertNotNil(sick)
        XCTAssertLessThan(queued ?? 99, sick ?? 0, "the request is queued, then the trader falls sick")
        XCTAssertEqual(t.effects.commits, [], "the queue it leaves behind is not empty")
        XCTAssertEqual(t.peer.status, .sick(.silent))
    }

    func testSickRateZeroNeverFallsSick() {
        let t = trader(sickRate: 0)
        for seq in 0..<50 {
            let r = request(0, seq, UInt64(100 * (seq + 1)))
            let batch = decide(t, r)!
            XCTAssertEqual(t.effects.sickness, [])
            t.persisted(.committed(batch))
        }
        XCTAssertTrue(t.peer.isUp)
    }

    // MARK: Takeover

    func testTakeoverLoadsPendingRequestsAndContinuesTheDecisionSequence() {
        let pending = [request(0, 3, 7), request(1, 2, 3)]
        let t = PeerHarness.trader(takeover: Takeover(
            epoch: 1, pending: pending, deposits: stock, lastDecisionSeq: 40, maxLamport: 7))
        XCTAssertEqual(t.effects.enqueues, [], "already durable")
        XCTAssertEqual(t.peer.trader?.book.entries.map(\.request), [pending[1], pending[0]])
        XCTAssertEqual(t.peer.trader?.pendingCount, 2)
        everyoneSpeaks(t, clock: 20)
        let decisions = t.effects.commits.first?.decisions
        XCTAssertEqual(decisions?.map(\.request), [pending[1], pending[0]])
        XCTAssertEqual(decisions?.map(\.seq), [41, 42])
        XCTAssertEqual(decisions?.compactMap(\.outcome.trade?.tradeID), [41, 42])
    }

    func testTakeoverRebuildsTheInventory() {
        let t = PeerHarness.trader(takeover: Takeover(
            epoch: 1, deposits: [deposit(1, 0, .salt, 2), deposit(2, 0, .salt, 1)],
            sold: [SellerProduct(seller: 1, product: .salt): 2]))
        XCTAssertEqual(t.peer.trader?.inventory.stock(of: .salt, seller: 1), 0)
        XCTAssertEqual(decide(t, request(0, 0, 9))?.decisions.first?.outcome.trade?.seller, 2)
    }

    func testTakeoverResendsTheOutbox() {
        let id = RequestID(buyer: 0, seq: 5)
        let sale = Trade(tradeID: 12, seller: 1, trader: 2, epoch: 1, product: .salt, quantity: 1,
                         priceCents: 100, commissionCents: 10)
        let outbox = [
            OutboxItem(requestID: id, recipient: 0, message: .buyResult(id, .bought(sale))),
            OutboxItem(requestID: id, recipient: 1, message: .payout(id, sale)),
        ]
        XCTAssertEqual(OutboxItem.items(for: Decision(request: request(0, 5, 3), outcome: .bought(sale), seq: 12, epoch: 1)),
                       outbox)
        let t = PeerHarness.trader(epoch: 2, takeover: Takeover(epoch: 2, outbox: outbox, lastDecisionSeq: 12))
        XCTAssertEqual(t.effects.messages, [.coordinator(epoch: 2), .buyResult(id, .bought(sale)), .payout(id, sale)])
        XCTAssertEqual(t.sent(to: 0), [.coordinator(epoch: 2), .buyResult(id, .bought(sale))])
        XCTAssertEqual(t.sent(to: 1), [.coordinator(epoch: 2), .payout(id, sale)])
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 2)
        XCTAssertEqual(t.peer.ledger, Ledger(), "the commission was P2's")
    }

    func testTakeoverStartsTheClockPastTheStoresMaxStamp() {
        let t = PeerHarness.trader(takeover: Takeover(epoch: 1, maxLamport: 500))
        XCTAssertEqual(Set(t.sends.map(\.clock)), [502], "advanced past 500, then one tick for COORDINATOR")
        XCTAssertEqual(t.peer.clock.time, 502)
    }

    func testTakeoverForAnotherEpochIsIgnored() {
        let t = PeerHarness(id: 3, peers: [0, 1, 2, 3])
        t.start()
        t.command(.startElection)
        t.persisted(.claimed(ElectionClaim(epoch: 1, leader: 3, initiator: 3, reason: .startup)))
        t.persisted(.takeover(Takeover(epoch: 2, pending: [request(0, 0, 1)])))
        XCTAssertEqual(t.peer.trader?.phase, .loading)
        XCTAssertEqual(t.sends, [])
    }

    func testBuysThatArriveWhileLoadingAreAdmittedAfterTheTakeover() {
        let t = PeerHarness(id: 3, peers: [0, 1, 2, 3])
        t.start()
        t.command(.startElection)
        t.persisted(.claimed(ElectionClaim(epoch: 1, leader: 3, initiator: 3, reason: .startup)))
        let r = request(0, 0, 4)
        t.receive(.buy(r), from: 0, clock: 4)
        XCTAssertEqual(t.persists, [])
        XCTAssertEqual(t.sends, [])
        t.persisted(.takeover(Takeover(epoch: 1, pending: [request(1, 0, 2)])))
        XCTAssertEqual(t.effects.enqueues, [r])
        XCTAssertEqual(t.peer.trader?.book.entries.map(\.request), [request(1, 0, 2), r])
        XCTAssertEqual(t.effects.commits, [], "nobody else has been heard from yet")
    }

    func testANewTradersOwnRequestJoinsTheQueueAndIsAnsweredWithoutTheWire() {
        // P3 buys salt through trader P4; P4 goes quiet; P3 wins epoch 2 and takes over.
        let p = PeerHarness(id: 3, peers: [0, 1, 2, 3, 4], role: .buyer, product: .salt, requests: 2)
        p.start()
        p.heartbeat(from: 0, clock: 1)
        p.heartbeat(from: 1, clock: 1)
        p.heartbeat(from: 2, clock: 1)
        p.receive(.coordinator(epoch: 1), from: 4, clock: 3)
        let own = p.effects.buys
        XCTAssertEqual(own.map(\.id), [RequestID(buyer: 3, seq: 0)])
        p.heartbeat(from: 0, clock: 50, epoch: 1, leader: 4, at: .ms(700))
        p.heartbeat(from: 1, clock: 50, epoch: 1, leader: 4)
        p.heartbeat(from: 2, clock: 50, epoch: 1, leader: 4)
        p.fire(.heartbeat, at: .ms(800))
        XCTAssertFalse(p.sent(to: 4).contains(.election), "a trader silent that long is not waited for")
        XCTAssertEqual(p.persists.first?.claim?.epoch, 2)
        p.persisted(.claimed(p.persists[0].claim!))
        XCTAssertEqual(p.effects.timersCancelled, [.request, .deposit])
        p.persisted(.takeover(Takeover(epoch: 2, deposits: [deposit(1, 0, .salt, 5)])))
        XCTAssertEqual(p.effects.enqueues, own)
        XCTAssertEqual(p.effects.buys, [], "a trader does not buy from itself over the wire")

        p.persisted(.enqueued(own[0]))
        XCTAssertEqual(p.sent(to: 3), [], "no queued to itself")
        let batch = p.effects.commits[0]
        let sale = Trade(tradeID: 1, seller: 1, trader: 3, epoch: 2, product: .salt, quantity: 1,
                         priceCents: 100, commissionCents: 10)
        XCTAssertEqual(batch.decisions, [Decision(request: own[0], outcome: .bought(sale), seq: 1, epoch: 2)])
        p.persisted(.committed(batch))
        XCTAssertEqual(p.sends.map(\.to), [1], "only the payout goes on the wire")
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertNil(p.peer.buyer.outstanding)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 1, sold: 0, cashCents: -90), "paid 100, earned 10")
        XCTAssertEqual(p.peer.buyer.nextSeq, 1, "a trader stops its own buying")

        p.fire(.heartbeat, at: .ms(1200))
        XCTAssertEqual(p.persists, [.markDelivered([DeliveryKey(requestID: own[0].id, recipient: 3)])])
    }

    func testATraderDoesNotDeposit() {
        // The highest peer sells boar, but as trader it never sends a deposit.
        let t = trader()
        XCTAssertFalse(t.sends.contains { if case .deposit = $0.message { true } else { false } })
        t.fire(.heartbeat, at: .ms(100))
        t.fire(.deposit)
        XCTAssertFalse(t.sends.contains { if case .deposit = $0.message { true } else { false } })
        XCTAssertNil(t.peer.seller.outstanding)
    }
}
