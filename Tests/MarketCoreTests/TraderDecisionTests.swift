import MarketTestKit
import XCTest
@testable import MarketCore

/// The trader decides: commission in cents, no seller, which seller, and Lamport order once stable.
final class TraderDecisionTests: TraderTestCase {
    // MARK: Queue, stability, decisions

    func testABuyIsEnqueuedConfirmedAndDecidedOnceStable() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        XCTAssertEqual(t.persists, [.enqueue(r, epoch: 1)])
        XCTAssertEqual(t.sends, [], "queued only once it is durable")

        t.persisted(.enqueued(r))
        XCTAssertEqual(t.sends.map(\.message), [.queued(r.id)])
        XCTAssertEqual(t.sends.map(\.to), [0])
        XCTAssertEqual(t.effects.commits, [], "P1 and P2 last spoke at 1")

        t.receive(.ack(r.id), from: 1, clock: 7)
        XCTAssertEqual(t.effects.commits, [], "P2 may still send something ordered first")

        t.receive(.ack(r.id), from: 2, clock: 7)
        let sale = trade(1, seller: 1)
        XCTAssertEqual(t.effects.commits, [DecisionBatch(epoch: 1, decisions: [
            Decision(request: r, outcome: .bought(sale), seq: 1, epoch: 1),
        ], views: [ViewChange(epoch: 1, view: 0, trader: 3, members: [0, 1, 2], firstSeq: 1)])])
        XCTAssertEqual(t.sends, [], "nothing goes out before the commit")
        XCTAssertEqual(t.peer.trader?.pendingCount, 1)

        t.persisted(.committed(t.effects.commits[0]))
        XCTAssertEqual(t.sent(to: 0), [.buyResult(r.id, .bought(sale))])
        XCTAssertEqual(t.sent(to: 1), [.payout(r.id, sale)])
        XCTAssertEqual(t.peer.ledger, Ledger(bought: 0, sold: 0, cashCents: 10), "the commission")
        XCTAssertEqual(t.peer.trader?.pendingCount, 0)
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 2)
    }

    func testCommissionIsTenPercentInCents() {
        let t = trader()
        let batch = decide(t, request(0, 0, 6))
        let sale = batch?.decisions.first?.outcome.trade
        XCTAssertEqual(sale?.priceCents, 100)
        XCTAssertEqual(sale?.commissionCents, 10)
        XCTAssertEqual(sale?.sellerCents, 90)
    }

    func testOddPricesFloorTheCommission() {
        for (price, commission) in [(105, 10), (99, 9), (9, 0), (1, 0), (0, 0), (1_234_567, 123_456)] {
            let t = trader(priceCents: price)
            let sale = decide(t, request(0, 0, 6))?.decisions.first?.outcome.trade
            XCTAssertEqual(sale?.priceCents, price)
            XCTAssertEqual(sale?.commissionCents, commission, "price \(price)")
            XCTAssertEqual(sale?.sellerCents, price - commission)
        }
    }

    func testCommissionOfAMultiItemBuyIsOnTheWholePrice() {
        let t = trader(quantity: 3, priceCents: 35)
        let sale = decide(t, request(0, 0, 6, quantity: 3))?.decisions.first?.outcome.trade
        XCTAssertEqual(sale, trade(1, seller: 1, quantity: 3, price: 105, commission: 10))
        XCTAssertEqual(PeerConfig(id: 0, peers: [0], role: .buyer, product: .salt, quantity: 3, priceCents: 35).commissionCents, 10)
    }

    func testOtherCommissionRates() {
        let t = trader(commissionPercent: 25)
        XCTAssertEqual(decide(t, request(0, 0, 6))?.decisions.first?.outcome.trade?.commissionCents, 25)
        let free = trader(commissionPercent: 0)
        XCTAssertEqual(decide(free, request(0, 0, 6))?.decisions.first?.outcome.trade?.sellerCents, 100)
    }

    func testNoSeller() {
        let t = trader()
        let r = request(0, 0, 6, .fish)
        let batch = decide(t, r)
        XCTAssertEqual(batch?.decisions, [Decision(request: r, outcome: .failed(.noSeller), seq: 1, epoch: 1)])
        t.persisted(.committed(batch!))
        XCTAssertEqual(t.sends.map(\.message), [.buyResult(r.id, .failed(.noSeller))])
        XCTAssertEqual(t.sends.map(\.to), [0])
        XCTAssertEqual(t.peer.ledger, Ledger())
    }

    func testTooFewItemsIsNoSellerToo() {
        let t = trader(deposits: [deposit(1, 0, .salt, 1)], quantity: 2)
        XCTAssertEqual(decide(t, request(0, 0, 6, quantity: 2))?.decisions.first?.outcome, .failed(.noSeller))
    }

    func testTheOldestDepositSellsFirst() {
        let t = trader(deposits: [deposit(2, 0, .salt, 1), deposit(1, 0, .salt, 1)])
        let first = decide(t, request(0, 0, 6))!
        XCTAssertEqual(first.decisions.first?.outcome.trade?.seller, 2)
        t.persisted(.committed(first))
        XCTAssertEqual(decide(t, request(0, 1, 30))?.decisions.first?.outcome.trade?.seller, 1)
    }

    func testTheTradersOwnGoodsSellInTheirTurn() {
        // P3 deposited salt before it became the trader; its lot is the oldest, and sells first.
        let t = trader(deposits: [deposit(3, 0, .salt, 1), deposit(1, 0, .salt, 1)])
        let first = decide(t, request(0, 0, 6))!
        XCTAssertEqual(first.decisions.first?.outcome.trade?.seller, 3)
        t.persisted(.committed(first))
        XCTAssertEqual(decide(t, request(0, 1, 30))?.decisions.first?.outcome.trade?.seller, 1)
    }

    func testTiesAreBrokenByBuyerID() {
        let t = trader()
        let a = request(1, 0, 6), b = request(0, 0, 6)
        receiveDurably(t, [a, b])
        t.heartbeat(from: 2, clock: 9)
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request.id), [b.id, a.id])
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.seq), [1, 2])
    }

    func testALateLowTimestampIsNeverOvertaken() {
        // (10, P1) arrives and goes to the store; (4, P0) arrives while that enqueue is in
        // flight. P0 and P2 then speak at 12, so (10, P1) would be stable on its own; it is
        // made durable first, yet it waits for (4, P0), which is decided first.
        let t = trader()
        let high = request(1, 0, 10), low = request(0, 0, 4)
        t.receive(.buy(high), from: 1, clock: 10)
        t.receive(.buy(low), from: 0, clock: 4)
        XCTAssertEqual(t.effects.enqueues, [low])
        t.heartbeat(from: 0, clock: 12)
        t.heartbeat(from: 2, clock: 12)
        t.persisted(.enqueued(high))
        XCTAssertEqual(t.effects.commits, [], "(4, P0) is ahead and not yet durable")
        t.persisted(.enqueued(low))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [low, high])
    }

    func testANonDurableHeadIsNotDecided() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        everyoneSpeaks(t, clock: 50, except: [0])
        t.heartbeat(from: 0, clock: 50)
        XCTAssertEqual(t.effects.commits, [])
        XCTAssertEqual(t.peer.trader?.book.head, OrderBook.Entry(request: r, durable: false))
    }

    func testAPeerThatIsNotLiveIsNotWaitedFor() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6, at: .ms(500))
        t.persisted(.enqueued(r))
        t.heartbeat(from: 1, clock: 9)
        XCTAssertEqual(t.effects.commits, [], "P2 was heard 500 ms ago")
        t.heartbeat(from: 1, clock: 10, at: .ms(800))
        XCTAssertEqual(t.effects.commits.count, 1, "P2, silent for 800 ms, is taken for down")
    }

    func testARestartedTraderWaitsForPeersItHasNotHeardFromSinceItCameBack() {
        // P3 restarts after a crash (it has heard from nobody), wins, and loads a pending
        // request. Nobody has had time to be heard from: nobody may be taken for down yet.
        let t = PeerHarness(id: 3, peers: [0, 1, 2, 3])
        t.step(.restart, at: .ms(1000))
        t.persisted(.books(PeerBooks(peer: 3)))
        t.persisted(.claimed(ElectionClaim(epoch: 4, leader: 3, initiator: 3, reason: .recovery)))
        XCTAssertEqual(t.persists, [], "the claim was for epoch 1")
        t.persisted(.claimRefused(current: 3))
        t.persisted(.claimed(ElectionClaim(epoch: 4, leader: 3, initiator: 3, reason: .recovery)))
        let pending = request(0, 7, 90)
        t.persisted(.takeover(Takeover(epoch: 4, pending: [pending], deposits: stock, lastDecisionSeq: 20, maxLamport: 90)))
        XCTAssertTrue(t.peer.isTrader)
        XCTAssertEqual(t.effects.commits, [])
        t.heartbeat(from: 1, clock: 95, epoch: 4, leader: 3, at: .ms(1100))
        t.heartbeat(from: 2, clock: 95, epoch: 4, leader: 3)
        XCTAssertEqual(t.effects.commits, [], "P0 may still have a request stamped before 90 in flight")
        t.heartbeat(from: 0, clock: 95, epoch: 4, leader: 3)
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [pending])
    }

    func testARecoveredTraderWaitsForPeersItHasNotHeardFromSinceItCameBack() {
        // P3 trades, falls silently sick, recovers a second later (it last heard from the
        // others before it fell sick) and wins the next epoch.
        let t = trader()
        t.command(.fallSick(.silent), at: .ms(10))
        t.command(.recover, at: .ms(1000))
        t.persisted(.claimed(ElectionClaim(epoch: 2, leader: 3, initiator: 3, reason: .recovery)))
        t.persisted(.takeover(Takeover(epoch: 2, deposits: stock)))
        XCTAssertTrue(t.peer.isTrader)
        let r = request(1, 0, 40)
        t.receive(.buy(r), from: 1, clock: 40, at: .ms(1010))
        t.persisted(.enqueued(r))
        t.heartbeat(from: 2, clock: 50)
        XCTAssertEqual(t.effects.commits, [], "P0 has not been heard from since P3 came back")
        t.heartbeat(from: 0, clock: 50)
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [r])
    }

    func testAPeerUnheardForSuspectAfterSinceTheTraderCameBackIsTakenForDown() {
        let t = PeerHarness(id: 3, peers: [0, 1, 2, 3])
        t.step(.restart, at: .ms(1000))
        t.persisted(.books(PeerBooks(peer: 3)))
        t.persisted(.claimed(ElectionClaim(epoch: 1, leader: 3, initiator: 3, reason: .recovery)))
        t.persisted(.takeover(Takeover(epoch: 1, pending: [request(1, 0, 9)], deposits: stock)))
        t.heartbeat(from: 1, clock: 20, at: .ms(1500))
        t.heartbeat(from: 2, clock: 20)
        XCTAssertEqual(t.effects.commits, [])
        t.fire(.heartbeat, at: .ms(1799))
        XCTAssertEqual(t.effects.commits, [])
        t.fire(.heartbeat, at: .ms(1800))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [request(1, 0, 9)], "P0 is down")
    }
}
