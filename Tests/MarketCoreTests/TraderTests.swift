import XCTest
@testable import MarketCore

/// The trader's side, driven through `Peer.step`: P3 trades for P0 and P1 (buyers) and the
/// sellers P1 (salt) and P2 (boar), unless a test says otherwise.
final class TraderTests: XCTestCase {
    private let stock = [deposit(1, 0, .salt, 10), deposit(2, 0, .boar, 10)]

    private func trader(
        deposits: [Deposit]? = nil, quantity: Int = 1, priceCents: Int = 100, commissionPercent: Int = 10,
        sickRate: Double = 0, maxBatch: Int = 256, stabilityRule: OrderBook.StabilityRule = .lamport,
        file: StaticString = #filePath, line: UInt = #line
    ) -> PeerDriver {
        PeerDriver.trader(
            takeover: Takeover(epoch: 1, deposits: deposits ?? stock), quantity: quantity, priceCents: priceCents,
            commissionPercent: commissionPercent, sickRate: sickRate, maxBatch: maxBatch,
            stabilityRule: stabilityRule, file: file, line: line)
    }

    private func trade(_ id: Int, seller: PeerID, _ product: Product = .salt, quantity: Int = 1,
                       price: Int = 100, commission: Int = 10, epoch: Epoch = 1) -> Trade {
        Trade(tradeID: id, seller: seller, trader: 3, epoch: epoch, product: product, quantity: quantity,
              priceCents: price, commissionCents: commission)
    }

    /// Every other peer speaks with a stamp past everything so far.
    private func everyoneSpeaks(_ t: PeerDriver, clock: UInt64, except: Set<PeerID> = []) {
        for other in [0, 1, 2] where !except.contains(other) {
            t.heartbeat(from: other, clock: clock, epoch: 1, leader: 3)
        }
    }

    /// A buy from its buyer, made durable, then made stable; returns what was committed.
    private func decide(_ t: PeerDriver, _ r: BuyRequest, file: StaticString = #filePath, line: UInt = #line) -> DecisionBatch? {
        t.receive(.buy(r), from: r.buyer, clock: r.lamport)
        XCTAssertEqual(t.effects.enqueues, [r], file: file, line: line)
        t.persisted(.enqueued(r))
        everyoneSpeaks(t, clock: r.lamport + 10, except: [r.buyer])
        let commits = t.effects.commits
        XCTAssertEqual(commits.count, 1, file: file, line: line)
        return commits.first
    }

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
        ])])
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

    func testTheTraderDoesNotSellItsOwnGoods() {
        // P3 deposited salt before it became the trader; its lot is the oldest.
        let t = trader(deposits: [deposit(3, 0, .salt, 5), deposit(1, 0, .salt, 1)])
        let first = decide(t, request(0, 0, 6))!
        XCTAssertEqual(first.decisions.first?.outcome.trade?.seller, 1)
        t.persisted(.committed(first))
        XCTAssertEqual(decide(t, request(0, 1, 30))?.decisions.first?.outcome, .failed(.noSeller))
    }

    func testTiesAreBrokenByBuyerID() {
        let t = trader()
        let a = request(1, 0, 6), b = request(0, 0, 6)
        t.receive(.buy(a), from: 1, clock: 6)
        t.receive(.buy(b), from: 0, clock: 6)
        t.persisted(.enqueued(a))
        t.persisted(.enqueued(b))
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
        let t = PeerDriver(id: 3, peers: [0, 1, 2, 3])
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
        let t = PeerDriver(id: 3, peers: [0, 1, 2, 3])
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

    func testARequestStampedBeforeWhatWasDecidedWithoutItsBuyerIsSentBackForANewStamp() {
        // P0 went quiet (paused, not crashed) and was taken for down; (20, P1) was decided
        // without it. P0 comes back with a request stamped 5: deciding it now would put it
        // after (20, P1). It is not queued; P0 is asked to stamp it again.
        let t = trader()
        let decided = request(1, 0, 20)
        t.receive(.buy(decided), from: 1, clock: 20, at: .ms(900))
        t.heartbeat(from: 2, clock: 25)
        t.persisted(.enqueued(decided))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [decided])
        t.persisted(.committed(t.effects.commits.first ?? DecisionBatch(epoch: 1, decisions: [])))

        t.receive(.buy(request(0, 0, 5)), from: 0, clock: 5)
        XCTAssertEqual(t.persists, [])
        XCTAssertEqual(t.sends.map(\.message), [.restamp(RequestID(buyer: 0, seq: 0))])
        XCTAssertEqual(t.sends.map(\.to), [0])
        XCTAssertEqual(t.peer.trader?.book.isEmpty, true)

        t.receive(.buy(request(0, 0, 40)), from: 0, clock: 40)
        XCTAssertEqual(t.effects.enqueues, [request(0, 0, 40)])
    }

    func testTheLateRuleLooksAtTheOrderKeyNotTheStampAlone() {
        // (20, P1) was decided; (20, P2) is still ordered after it and is queued.
        let t = trader()
        let decided = request(1, 0, 20)
        t.receive(.buy(decided), from: 1, clock: 20, at: .ms(900))
        t.heartbeat(from: 2, clock: 19)
        t.persisted(.enqueued(decided))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [decided])
        t.persisted(.committed(t.effects.commits.first ?? DecisionBatch(epoch: 1, decisions: [])))
        t.receive(.buy(request(2, 0, 20)), from: 2, clock: 20)
        XCTAssertEqual(t.effects.enqueues, [request(2, 0, 20)])
        t.receive(.buy(request(0, 0, 20)), from: 0, clock: 20)
        XCTAssertEqual(t.effects.enqueues, [], "(20, P0) would come before (20, P1)")
    }

    func testTheImmediateRuleDecidesWithoutWaiting() {
        let t = trader(stabilityRule: .immediate)
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        XCTAssertEqual(t.effects.commits, [], "still not before it is durable")
        t.persisted(.enqueued(r))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [r], "P1 and P2 last spoke at 1")
    }

    func testOneCommitAtATime() {
        let t = trader()
        let first = decide(t, request(0, 0, 6))!
        let r = request(1, 0, 20)
        t.receive(.buy(r), from: 1, clock: 20)
        t.persisted(.enqueued(r))
        everyoneSpeaks(t, clock: 30, except: [1])
        XCTAssertEqual(t.effects.commits, [], "the first batch is still in flight")
        t.persisted(.committed(first))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [r])
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.seq), [2])
    }

    func testTheBatchLimit() {
        let t = trader(maxBatch: 1)
        let a = request(0, 0, 6), b = request(1, 0, 7)
        for r in [a, b] {
            t.receive(.buy(r), from: r.buyer, clock: r.lamport)
            t.persisted(.enqueued(r))
        }
        everyoneSpeaks(t, clock: 30)
        let first = t.effects.commits
        XCTAssertEqual(first.first?.decisions.map(\.request), [a])
        t.persisted(.committed(first[0]))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [b])
    }

    func testADuplicateBuyEntersOnce() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        var retry = r
        retry.lamport = 9
        t.receive(.buy(retry), from: 0, clock: 9)
        XCTAssertEqual(t.persists, [], "already in the book")
        t.persisted(.enqueued(r))
        everyoneSpeaks(t, clock: 20, except: [0])
        let batch = t.effects.commits[0]
        retry.lamport = 21
        t.receive(.buy(retry), from: 0, clock: 21)
        XCTAssertEqual(t.persists, [], "being decided")
        t.persisted(.committed(batch))
        XCTAssertEqual(batch.decisions.map(\.request), [r], "decided with its first stamp")
    }

    func testARetryOfADecidedRequestGetsTheRecordedOutcome() {
        let t = trader()
        let r = request(0, 4, 30)
        let decision = Decision(request: request(0, 4, 12), outcome: .bought(trade(7, seller: 1)), seq: 7, epoch: 1)
        t.receive(.buy(r), from: 0, clock: 30)
        t.persisted(.alreadyDecided(decision))
        XCTAssertEqual(t.sends.map(\.message), [.buyResult(r.id, .bought(trade(7, seller: 1)))])
        XCTAssertEqual(t.sends.map(\.to), [0], "the payout is the outbox's business")
        XCTAssertEqual(t.peer.trader?.book.isEmpty, true)
        XCTAssertEqual(t.effects.commits, [])
    }

    func testARetryAlreadyPendingTakesTheStoresStamp() {
        let t = trader()
        t.receive(.buy(request(0, 0, 30)), from: 0, clock: 30)
        t.persisted(.alreadyPending(request(0, 0, 4)))
        XCTAssertEqual(t.peer.trader?.book.entries, [.init(request: request(0, 0, 4), durable: true)])
    }

    func testAForgedBuyIsIgnored() {
        let t = trader()
        t.receive(.buy(request(1, 0, 6)), from: 0, clock: 6)
        XCTAssertEqual(t.persists, [])
        XCTAssertEqual(t.peer.trader?.book.isEmpty, true)
    }

    func testABuyerWithNothingOnTheWayAcksEveryBuyOfATurnOnce() {
        // P1 buys but has not heard from the trader itself yet, so it has no request out.
        let p = PeerDriver(id: 1, peers: [0, 1, 2, 3], role: .buyer, requests: 2)
        p.start()
        p.heartbeat(from: 2, clock: 3, epoch: 1, leader: 3)
        XCTAssertEqual(p.peer.leader, 3)
        let r = request(0, 0, 6), s = request(2, 0, 7)
        p.receive(.buy(r), from: 0, clock: 6)
        p.receive(.buy(s), from: 2, clock: 7)
        XCTAssertEqual(p.sends, [], "owed until the turn ends")
        p.step(.endOfTurn)
        XCTAssertEqual(p.sends.map(\.message), [.ack(s.id)], "one acknowledgement for the whole turn")
        XCTAssertEqual(p.sends.map(\.to), [3])
        XCTAssertGreaterThan(p.sends[0].clock, 7, "the ack's stamp is what makes the head stable")
        p.step(.endOfTurn)
        XCTAssertEqual(p.sends, [], "once")
    }

    func testAnythingSentToTheTraderInTheTurnStandsForTheAck() {
        let p = PeerDriver(id: 1, peers: [0, 1, 2, 3], role: .buyer, requests: 2)
        p.start()
        p.heartbeat(from: 2, clock: 3, epoch: 1, leader: 3)
        p.receive(.buy(request(0, 0, 6)), from: 0, clock: 6)
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(p.sent(to: 3), [.heartbeat(epoch: 1, leader: 3)])
        p.step(.endOfTurn)
        XCTAssertEqual(p.sends, [], "the heartbeat is stamped past the buy")
    }

    func testOnlyABuyerWithoutARequestOnTheWayAcks() {
        // A buyer whose own request went to the trader first: that request says it all.
        let busy = PeerDriver.follower(id: 1, leader: 3, epoch: 1, role: .buyer, requests: 2)
        XCTAssertEqual(busy.effects.buys.count, 1)
        busy.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        busy.step(.endOfTurn)
        XCTAssertEqual(busy.sends, [])
        // A seller never buys: nobody waits for it.
        let seller = PeerDriver.follower(id: 2, leader: 3, epoch: 1, role: .seller)
        seller.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        seller.step(.endOfTurn)
        XCTAssertEqual(seller.sends, [])
        // Nor does a buyer that is done.
        let done = PeerDriver.follower(id: 1, leader: 3, epoch: 1, role: .buyer, requests: 0)
        done.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        done.step(.endOfTurn)
        XCTAssertEqual(done.sends, [])
    }

    func testAPeerWithoutATraderAcksNothing() {
        let p = PeerDriver(id: 1, peers: [0, 1, 2, 3])
        p.start()
        p.receive(.buy(request(0, 0, 6)), from: 0, clock: 6)
        p.step(.endOfTurn)
        XCTAssertEqual(p.sends, [])
    }

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
        let p = PeerDriver.follower(id: 1, leader: 3, epoch: 1)
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
        let t = PeerDriver.trader(takeover: Takeover(
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
        let t = PeerDriver.trader(takeover: Takeover(
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
        let t = PeerDriver.trader(epoch: 2, takeover: Takeover(epoch: 2, outbox: outbox, lastDecisionSeq: 12))
        XCTAssertEqual(t.effects.messages, [.coordinator(epoch: 2), .buyResult(id, .bought(sale)), .payout(id, sale)])
        XCTAssertEqual(t.sent(to: 0), [.coordinator(epoch: 2), .buyResult(id, .bought(sale))])
        XCTAssertEqual(t.sent(to: 1), [.coordinator(epoch: 2), .payout(id, sale)])
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 2)
        XCTAssertEqual(t.peer.ledger, Ledger(), "the commission was P2's")
    }

    func testTakeoverStartsTheClockPastTheStoresMaxStamp() {
        let t = PeerDriver.trader(takeover: Takeover(epoch: 1, maxLamport: 500))
        XCTAssertEqual(Set(t.sends.map(\.clock)), [502], "advanced past 500, then one tick for COORDINATOR")
        XCTAssertEqual(t.peer.clock.time, 502)
    }

    func testTakeoverForAnotherEpochIsIgnored() {
        let t = PeerDriver(id: 3, peers: [0, 1, 2, 3])
        t.start()
        t.command(.startElection)
        t.persisted(.claimed(ElectionClaim(epoch: 1, leader: 3, initiator: 3, reason: .startup)))
        t.persisted(.takeover(Takeover(epoch: 2, pending: [request(0, 0, 1)])))
        XCTAssertEqual(t.peer.trader?.phase, .loading)
        XCTAssertEqual(t.sends, [])
    }

    func testBuysThatArriveWhileLoadingAreAdmittedAfterTheTakeover() {
        let t = PeerDriver(id: 3, peers: [0, 1, 2, 3])
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
        let p = PeerDriver(id: 3, peers: [0, 1, 2, 3, 4], role: .buyer, product: .salt, requests: 2)
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
        XCTAssertTrue(p.sent(to: 4).contains(.election))
        p.fire(.election, at: .ms(1100))
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
