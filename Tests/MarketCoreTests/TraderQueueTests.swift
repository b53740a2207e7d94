import MarketTestKit
import XCTest
@testable import MarketCore

/// The trader's queue: stale stamps, batches, duplicates, retries, forged buys and acks.
final class TraderQueueTests: TraderTestCase {
    /// A trader that decided and committed (20, P1) without a word from P0, once P2 spoke at
    /// `clock`: the late rule's starting point.
    private func traderThatDecidedP1At20(p2Speaks clock: UInt64, file: StaticString = #filePath, line: UInt = #line) -> PeerHarness {
        let t = trader()
        let decided = request(1, 0, 20)
        t.receive(.buy(decided), from: 1, clock: 20, at: .ms(900))
        t.heartbeat(from: 2, clock: clock)
        t.persisted(.enqueued(decided))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [decided], file: file, line: line)
        t.persisted(.committed(t.effects.commits.first ?? DecisionBatch(epoch: 1, decisions: [])))
        return t
    }

    func testARequestStampedBeforeWhatWasDecidedWithoutItsBuyerIsSentBackForANewStamp() {
        // P0 went quiet (paused, not crashed) and was taken for down; (20, P1) was decided
        // without it. P0 comes back with a request stamped 5: deciding it now would put it
        // after (20, P1). It is not queued; P0 is asked to stamp it again.
        let t = traderThatDecidedP1At20(p2Speaks: 25)

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
        let t = traderThatDecidedP1At20(p2Speaks: 19)
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

    /// Issue 13, item 3: the batch names a request an earlier trader decided (its first copy
    /// reached this trader late). The store answers it with the recorded decision; the trader
    /// sends that to the buyer, gives back the goods its own decision took, and goes on.
    func testABatchAnsweredWithAnEarlierDecisionTakesItAndGoesOn() {
        let t = PeerHarness.trader(epoch: 2, takeover: Takeover(epoch: 2, deposits: [deposit(1, 0, .salt, 1)], lastDecisionSeq: 1))
        let r = request(0, 0, 6), s = request(1, 0, 7)
        receiveDurably(t, [r, s])
        t.heartbeat(from: 0, clock: 20)
        guard let batch = t.heartbeat(from: 2, clock: 20).commits.first else { return XCTFail("no batch") }
        let mine = Trade(tradeID: 2, seller: 1, trader: 3, epoch: 2, product: .salt, quantity: 1, priceCents: 100, commissionCents: 10)
        XCTAssertEqual(batch.decisions.map(\.outcome), [.bought(mine), .failed(.noSeller)], "r took the only salt")
        let recorded = Decision(request: request(0, 0, 2), outcome: .failed(.noSeller), seq: 1, epoch: 1)

        t.persisted(.committed(batch, alreadyDecided: [recorded]))
        XCTAssertEqual(t.sent(to: 0), [.buyResult(r.id, .failed(.noSeller))], "the recorded result, not this trader's")
        XCTAssertEqual(t.sent(to: 1), [.buyResult(s.id, .failed(.noSeller))], "no payout for a sale that was not written")
        XCTAssertEqual(t.peer.ledger, Ledger(), "no commission on it either")
        XCTAssertEqual(t.peer.trader?.pendingCount, 0)
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 2, "both results wait for their confirmation")
        XCTAssertEqual(t.peer.trader?.inventory.stock(of: .salt, seller: 1), 1, "the salt went back")
        XCTAssertTrue(t.effects.logs.contains { $0.contains("P0-0 was decided in epoch 1 already") }, "\(t.effects.logs)")

        // It goes on: the next buy sells the salt that came back.
        let next = request(1, 1, 30)
        t.receive(.buy(next), from: 1, clock: 30)
        t.persisted(.enqueued(next))
        t.heartbeat(from: 2, clock: 40)
        XCTAssertEqual(t.heartbeat(from: 0, clock: 40).commits.first?.decisions.map(\.outcome),
                       [.bought(Trade(tradeID: 4, seller: 1, trader: 3, epoch: 2, product: .salt, quantity: 1, priceCents: 100, commissionCents: 10))])
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
        let p = PeerHarness(id: 1, peers: [0, 1, 2, 3], role: .buyer, requests: 2)
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
        let p = PeerHarness(id: 1, peers: [0, 1, 2, 3], role: .buyer, requests: 2)
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
        let busy = PeerHarness.follower(id: 1, leader: 3, epoch: 1, role: .buyer, requests: 2)
        XCTAssertEqual(busy.effects.buys.count, 1)
        busy.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        busy.step(.endOfTurn)
        XCTAssertEqual(busy.sends, [])
        // A seller never buys: nobody waits for it.
        let seller = PeerHarness.follower(id: 2, leader: 3, epoch: 1, role: .seller)
        seller.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        seller.step(.endOfTurn)
        XCTAssertEqual(seller.sends, [])
        // Nor does a buyer that is done.
        let done = PeerHarness.follower(id: 1, leader: 3, epoch: 1, role: .buyer, requests: 0)
        done.receive(.buy(request(0, 0, 9)), from: 0, clock: 9)
        done.step(.endOfTurn)
        XCTAssertEqual(done.sends, [])
    }

    func testAPeerWithoutATraderAcksNothing() {
        let p = PeerHarness(id: 1, peers: [0, 1, 2, 3])
        p.start()
        p.receive(.buy(request(0, 0, 6)), from: 0, clock: 6)
        p.step(.endOfTurn)
        XCTAssertEqual(p.sends, [])
    }
}
