import MarketTestKit
import XCTest
@testable import MarketCore

/// A buyer that keeps several requests in flight (`PeerConfig.inFlight`); P3 is the trader of
/// epoch 1 unless said otherwise. Each test fails on a buyer that keeps one.
final class PipelinedBuyerTests: XCTestCase {
    private func id(_ seq: Int) -> RequestID { RequestID(buyer: 0, seq: seq) }

    private func buyer(requests: Int = 5, inFlight: Int = 3) -> PeerHarness {
        PeerHarness.follower(id: 0, leader: 3, epoch: 1, role: .buyer, product: .salt, requests: requests, inFlight: inFlight)
    }

    private func sale(_ tradeID: Int) -> Trade {
        Trade(tradeID: tradeID, seller: 1, trader: 3, epoch: 1, product: .salt, quantity: 1, priceCents: 100, commissionCents: 10)
    }

    private func confirmations(_ p: PeerHarness) -> [[RequestID]] {
        p.sent(to: 3).compactMap { if case .delivered(let ids) = $0 { ids } else { nil } }
    }

    func testItSendsAsManyRequestsAsItMayHaveInFlight_eachStampedAndSentToTheTraderAlone() {
        let p = buyer()
        let buys = p.effects.buys
        XCTAssertEqual(buys.map(\.id), [id(0), id(1), id(2)])
        XCTAssertEqual(buys.map(\.lamport), [7, 8, 9], "one send event, one stamp, each")
        for buy in buys {
            XCTAssertEqual(p.effects.recipients(of: .buy(buy, firstAttempt: true)), [3],
                           "the results, stamped past every request the trader had, carry the clock")
        }
        XCTAssertEqual(p.peer.buyer.inFlight.map(\.id), [id(0), id(1), id(2)])
        XCTAssertEqual(p.peer.buyer.nextSeq, 3)
    }

    func testResultsInAnyOrderEachOpenARequest_andTheTimerRunsWhileAnyIsInFlight() {
        let p = buyer()
        p.receive(.buyResult(id(1), .bought(sale(1))), from: 3, clock: 20)
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertFalse(p.effects.timersCancelled.contains(.request), "two are still in flight")
        XCTAssertEqual(p.effects.buys.map(\.id), [id(3)])
        XCTAssertEqual(p.peer.buyer.inFlight.map(\.id), [id(0), id(2), id(3)])
        p.receive(.buyResult(id(1), .bought(sale(1))), from: 3, clock: 21)
        XCTAssertEqual(p.peer.buyer.completed, 1, "an echo counts nothing")
        XCTAssertEqual(p.effects.buys, [])
        p.receive(.buyResult(id(0), .failed(.noSeller)), from: 3, clock: 22)
        XCTAssertEqual(p.effects.buys.map(\.id), [id(4)])
        XCTAssertEqual(p.peer.buyer.failed, 1)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 1, sold: 0, cashCents: -100))
    }

    func testItSaysDoneBuyingOnlyWhenTheLastResultIsIn_whateverTheOrder() {
        let p = buyer(requests: 3)
        p.receive(.buyResult(id(2), .bought(sale(1))), from: 3, clock: 20)
        p.receive(.buyResult(id(0), .bought(sale(2))), from: 3, clock: 21)
        XCTAssertEqual(p.effects.buys, [], "no fourth request: three were asked for")
        XCTAssertFalse(p.sends.contains { $0.message == .doneBuying })
        XCTAssertFalse(p.peer.finishedBuying)
        p.receive(.buyResult(id(1), .bought(sale(3))), from: 3, clock: 22)
        XCTAssertEqual(p.effects.recipients(of: .doneBuying), [1, 2, 3])
        XCTAssertTrue(p.effects.timersCancelled.contains(.request))
        XCTAssertTrue(p.peer.finishedBuying)
        XCTAssertEqual(p.peer.buyer.completed, 3)
    }

    func testAWindowLargerThanTheRequestsSendsThemAll() {
        let p = buyer(requests: 2, inFlight: 8)
        XCTAssertEqual(p.effects.buys.map(\.id), [id(0), id(1)])
    }

    func testARetryResendsEveryUnansweredRequestInSeqOrderWithFreshStamps() {
        let p = buyer()
        p.receive(.buyResult(id(1), .bought(sale(1))), from: 3, clock: 20)
        p.heartbeat(from: 3, clock: 30, epoch: 1, leader: 3, at: .ms(1000))
        p.fire(.request, at: .ms(1500))
        let retry = p.effects.buys
        XCTAssertEqual(retry.map(\.id), [id(0), id(2), id(3)])
        XCTAssertEqual(retry.map(\.lamport), [32, 33, 34], "past the trader's heartbeat (30 → 31), one tick each")
        XCTAssertTrue(p.sends.allSatisfy { if case .buy(_, let first) = $0.message { !first } else { true } },
                      "each went out before")
        XCTAssertEqual(p.effects.logs.filter { $0.contains("retrying") }, ["no answer to P0-0 and 2 more; retrying"])
        XCTAssertEqual(p.peer.buyer.nextSeq, 4, "no new request")
    }

    func testANewTraderGetsEveryUnansweredRequestAtOnce() {
        let p = buyer()
        p.fire(.request, at: .ms(1500))
        XCTAssertEqual(p.effects.buys, [], "the trader is silent: an election, not a retry")
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        p.receive(.coordinator(epoch: 2), from: 2, clock: 40, at: .ms(1600))
        let resent = p.effects.buys
        XCTAssertEqual(resent.map(\.id), [id(0), id(1), id(2)])
        XCTAssertEqual(resent.map(\.lamport), [42, 43, 44])
        guard let first = resent.first else { return }
        XCTAssertEqual(p.effects.recipients(of: .buy(first)), [2], "the new trader alone")
        XCTAssertEqual(p.peer.buyer.nextSeq, 3)
    }

    func testARestampSendsOnlyThatRequestAgain() {
        let p = buyer()
        p.receive(.restamp(id(1)), from: 3, clock: 40)
        XCTAssertEqual(p.effects.buys.map(\.id), [id(1)])
        XCTAssertEqual(p.peer.buyer.inFlight.map(\.id), [id(0), id(1), id(2)], "seq order kept")
        XCTAssertEqual(p.peer.buyer.inFlight.first { $0.id == id(1) }?.lamport, 42)
    }

    func testWithRequestsInFlightItAcknowledgesNoOtherBuy() {
        let p = buyer(requests: 4, inFlight: 2)
        p.receive(.buyResult(id(0), .bought(sale(1))), from: 3, clock: 20)
        p.receive(.buyResult(id(1), .bought(sale(2))), from: 3, clock: 21)
        XCTAssertEqual(p.peer.buyer.inFlight.map(\.id), [id(2), id(3)])
        p.receive(.buy(request(1, 0, 30), firstAttempt: true), from: 1, clock: 30)
        p.step(.endOfTurn)
        XCTAssertEqual(p.sends, [], "its requests ahead on the link say all an acknowledgement would")
    }

    func testAResultIsConfirmedByDeliveredNotByALaterRequest() {
        // With several in flight a later request was sent before the results it would
        // confirm: the trader must hear of each result on its own, at the next tick.
        let p = buyer(requests: 5, inFlight: 2)
        p.receive(.buyResult(id(0), .bought(sale(1))), from: 3, clock: 20)
        XCTAssertEqual(p.effects.buys.map(\.id), [id(2)])
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(confirmations(p), [[id(0)]])
    }

    func testARestartedBuyerPicksUpEveryPendingRequest() {
        let p = PeerHarness(id: 0, peers: [0, 1, 2, 3], role: .buyer, requests: 6, inFlight: 3)
        p.step(.restart)
        let books = PeerBooks(
            peer: 0, ledger: Ledger(bought: 1, sold: 0, cashCents: -100),
            requests: [request(0, 0, 5), request(0, 1, 9), request(0, 2, 10)], pendingRequests: [id(1), id(2)])
        p.persisted(.books(books))
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertEqual(p.peer.buyer.inFlight.map(\.id), [id(1), id(2)])
        p.receive(.coordinator(epoch: 3), from: 3, clock: 50)
        XCTAssertEqual(p.effects.buys.map(\.id), [id(1), id(2), id(3)], "both again, then one new")
        XCTAssertEqual(p.effects.buys.map(\.lamport), [52, 53, 54])
        guard p.effects.buys.count == 3 else { return }
        XCTAssertEqual(p.effects.recipients(of: .buy(p.effects.buys[0], firstAttempt: false)), [3])
        XCTAssertEqual(p.effects.recipients(of: .buy(p.effects.buys[2], firstAttempt: true)), [3])
    }

    func testARestartedBuyerMakesAgainARequestTheStoreNeverGot() {
        // P0-1 went out after P0-0 and before P0-2, and only P0-1 never reached a store.
        let p = PeerHarness(id: 0, peers: [0, 1, 2, 3], role: .buyer, requests: 6, inFlight: 3)
        p.step(.restart)
        let books = PeerBooks(peer: 0, requests: [request(0, 0, 5), request(0, 2, 10)], pendingRequests: [id(2)])
        p.persisted(.books(books))
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertEqual(p.peer.buyer.inFlight.map(\.id), [id(1), id(2)])
        p.receive(.coordinator(epoch: 3), from: 3, clock: 50)
        XCTAssertEqual(p.effects.buys.map(\.id), [id(1), id(2), id(3)], "in seq order, then one new")
        XCTAssertEqual(p.effects.buys.first?.product, .salt)
    }

    // MARK: The trader

    func testATraderDoesNotTakeALaterRequestForAConfirmationWhenBuyersPipeline() {
        for inFlight in [1, 2] {
            let t = PeerHarness.trader(id: 3, peers: [0, 1, 2, 3], inFlight: inFlight)
            t.receive(.buy(request(0, 0, 5), firstAttempt: true), from: 0, clock: 5)
            let enqueued = t.effects.enqueues
            XCTAssertEqual(enqueued.map(\.id), [id(0)], "not stable on arrival: P1 and P2 may precede it")
            t.heartbeat(from: 1, clock: 10)
            t.heartbeat(from: 2, clock: 10)
            for request in enqueued { t.persisted(.enqueued(request)) }
            guard let batch = t.effects.commits.first else {
                XCTFail("P0-0 was not decided (D=\(inFlight))")
                continue
            }
            t.persisted(.committed(batch))
            XCTAssertEqual(t.peer.trader?.unconfirmedCount, 1, "the result to P0, sent")
            t.receive(.buy(request(0, 1, 11), firstAttempt: true), from: 0, clock: 11)
            XCTAssertEqual(t.peer.trader?.unconfirmedCount, inFlight == 1 ? 0 : 1,
                           "D=\(inFlight): only a buyer with one in flight confirms a result by its next request")
        }
    }
}
