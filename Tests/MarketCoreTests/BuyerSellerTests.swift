import MarketTestKit
import XCTest
@testable import MarketCore

/// Buyers and sellers, driven through `Peer.step`; P3 is the trader of epoch 1 unless said otherwise.
final class BuyerSellerTests: XCTestCase {
    private let p00 = RequestID(buyer: 0, seq: 0)
    private let p01 = RequestID(buyer: 0, seq: 1)

    private func buyer(requests: Int = 3) -> PeerHarness {
        PeerHarness.follower(id: 0, leader: 3, epoch: 1, role: .buyer, product: .salt, requests: requests)
    }

    private func sale(_ id: Int, seller: PeerID = 1, _ product: Product = .salt, quantity: Int = 1) -> Trade {
        Trade(tradeID: id, seller: seller, trader: 3, epoch: 1, product: product, quantity: quantity,
              priceCents: 100 * quantity, commissionCents: 10 * quantity)
    }

    // MARK: Buyer

    func testABuyerWaitsForATrader() {
        let p = PeerHarness(id: 0, peers: [0, 1, 2, 3], role: .buyer, requests: 3)
        p.start()
        p.heartbeat(from: 1, clock: 3)
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(p.effects.buys, [])
        XCTAssertNil(p.peer.buyer.outstanding)
    }

    func testABuyerMulticastsItsFirstRequestOnceTheTraderIsKnown() {
        let p = buyer()
        XCTAssertEqual(p.effects.buys, [request(0, 0, 7)])
        XCTAssertEqual(p.effects.recipients(of: .buy(request(0, 0, 7), firstAttempt: true)), [1, 2, 3],
                       "the trader and the peers that may buy (all of them, roles unknown)")
        XCTAssertEqual(p.effects.timersSet[.request], p.timing.requestTimeout)
        XCTAssertEqual(p.peer.buyer.outstanding, request(0, 0, 7))
        XCTAssertEqual(p.peer.buyer.nextSeq, 1)
        XCTAssertFalse(p.peer.finishedBuying)
    }

    func testTheMulticastSkipsSellersAndBuyersThatAreDone() {
        var config = PeerConfig(id: 0, peers: [0, 1, 2, 3, 4, 5], role: .buyer, product: .salt, requests: 3,
                                timing: PeerHarness.timing, buyers: [0, 1, 2, 3])
        config.sickRate = 0
        let p = PeerHarness(config)
        p.start()
        p.receive(.doneBuying, from: 2, clock: 2)
        p.receive(.coordinator(epoch: 1), from: 5, clock: 5)
        let first = p.effects.buys[0]
        XCTAssertEqual(p.effects.recipients(of: .buy(first, firstAttempt: true)), [1, 3, 5],
                       "the trader, and the buyers not done; no sellers (P4), not P2")
    }

    func testABuyerDoesNotBuyOnHearsay() {
        // It learns of the trader from someone else's heartbeat: its clock may still be behind
        // what that trader decided, so it waits until the trader itself speaks.
        let p = PeerHarness(id: 0, peers: [0, 1, 2, 3], role: .buyer, requests: 3)
        p.start()
        p.heartbeat(from: 1, clock: 3, epoch: 1, leader: 3)
        XCTAssertEqual(p.peer.leader, 3)
        XCTAssertEqual(p.effects.buys, [])
        p.heartbeat(from: 3, clock: 9, epoch: 1, leader: 3)
        XCTAssertEqual(p.effects.buys.map(\.id), [p00])
        XCTAssertEqual(p.effects.buys.first?.lamport, 11)
    }

    func testARestampSendsTheSameRequestAgainPastTheTradersClock() {
        let p = buyer()
        let first = p.effects.buys[0]
        p.receive(.restamp(first.id), from: 3, clock: 40)
        let again = p.effects.buys
        XCTAssertEqual(again.map(\.id), [first.id])
        XCTAssertEqual(again.first?.lamport, 42, "past the trader's stamp (40 → 41), one tick")
        XCTAssertEqual(p.effects.recipients(of: .buy(again[0])), [1, 2, 3])
    }

    func testARestampForAnotherRequestIsIgnored() {
        let p = buyer()
        p.receive(.restamp(p01), from: 3, clock: 40)
        XCTAssertEqual(p.effects.buys, [])
    }

    func testARetryKeepsTheIDAndTakesAFreshStamp() {
        let p = buyer()
        let first = p.effects.buys[0]
        p.heartbeat(from: 3, clock: 20, epoch: 1, leader: 3, at: .ms(1000))
        p.fire(.request, at: .ms(1500))
        let retry = p.effects.buys
        XCTAssertEqual(retry.map(\.id), [first.id])
        XCTAssertEqual(retry.first?.product, first.product)
        XCTAssertEqual(retry.first?.lamport, 22, "past the trader's heartbeat (20 → 21), one tick")
        XCTAssertEqual(Set(p.sends.map(\.clock)), [22])
        XCTAssertEqual(p.effects.recipients(of: .buy(retry[0])), [1, 2, 3])
        XCTAssertEqual(p.effects.timersSet[.request], p.timing.requestTimeout)
        XCTAssertEqual(p.peer.buyer.nextSeq, 1, "no new request")
    }

    func testARequestTimeoutWithASilentTraderStartsAnElectionAndTheNewTraderGetsTheSameID() {
        let p = buyer()
        let first = p.effects.buys[0]
        p.fire(.request, at: .ms(1500))
        XCTAssertEqual(p.effects.buys, [])
        XCTAssertNil(p.peer.leader)
        XCTAssertEqual(p.effects.recipients(of: .election), [3])
        XCTAssertEqual(p.peer.electionPhase, .awaitingHighest(reason: .requestTimeout, initiator: 0, asked: 3))
        XCTAssertEqual(p.effects.timersSet[.request], p.timing.requestTimeout)

        p.receive(.coordinator(epoch: 2), from: 2, clock: 40, at: .ms(1600))
        let resent = p.effects.buys
        XCTAssertEqual(resent.map(\.id), [first.id], "the same request, at once, to the new trader")
        XCTAssertEqual(resent.first?.lamport, 42)
        XCTAssertEqual(p.effects.recipients(of: .buy(resent[0])), [1, 2, 3])
    }

    func testQueuedRearmsTheRequestTimer() {
        let p = buyer()
        p.receive(.queued(p00), from: 3, clock: 9, at: .ms(400))
        XCTAssertEqual(p.effects.timersSet, [.request: p.timing.requestTimeout])
        p.receive(.queued(RequestID(buyer: 0, seq: 9)), from: 3, clock: 10)
        XCTAssertEqual(p.effects.timersSet, [:])
    }

    private func confirmations(_ p: PeerHarness) -> [Envelope] {
        p.sends.filter { if case .delivered = $0.message { true } else { false } }
    }

    func testAResultIsCountedOnceAndConfirmed() {
        let p = buyer()
        p.receive(.buyResult(p00, .bought(sale(1))), from: 3, clock: 20)
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertEqual(p.peer.buyer.failed, 0)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 1, sold: 0, cashCents: -100))
        XCTAssertTrue(p.effects.timersCancelled.contains(.request))
        XCTAssertEqual(p.effects.buys.map(\.id), [p01], "the next request follows")
        XCTAssertEqual(confirmations(p), [], "and confirms the result by itself")
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(confirmations(p), [])

        p.receive(.buyResult(p00, .bought(sale(1))), from: 3, clock: 30)
        XCTAssertEqual(p.sends, [], "an echo is confirmed at the next tick")
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 1, sold: 0, cashCents: -100))
        XCTAssertEqual(p.peer.buyer.outstanding?.id, p01)
        // An echo from a new trader re-sending its outbox is confirmed to that trader.
        p.receive(.buyResult(p00, .bought(sale(1))), from: 2, clock: 40)
        p.fire(.heartbeat, at: .ms(200))
        XCTAssertEqual(confirmations(p).map(\.message), [.delivered([p00]), .delivered([p00])])
        XCTAssertEqual(confirmations(p).map(\.to), [2, 3])
        XCTAssertEqual(p.peer.buyer.completed, 1)
    }

    func testAResultForAnUnknownRequestIsIgnored() {
        let p = buyer()
        p.receive(.buyResult(RequestID(buyer: 0, seq: 7), .bought(sale(1))), from: 3, clock: 20)
        XCTAssertEqual(p.peer.buyer.completed, 0)
        XCTAssertEqual(p.peer.ledger, Ledger())
        XCTAssertEqual(p.peer.buyer.outstanding?.id, p00)
    }

    func testAFailedBuyIsCountedAsFailed() {
        let p = buyer()
        p.receive(.buyResult(p00, .failed(.noSeller)), from: 3, clock: 20)
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertEqual(p.peer.buyer.failed, 1)
        XCTAssertEqual(p.peer.ledger, Ledger())
        XCTAssertEqual(p.effects.buys.map(\.id), [p01])
    }

    func testABuyerStopsAfterItsRequests() {
        let p = buyer(requests: 2)
        p.receive(.buyResult(p00, .bought(sale(1))), from: 3, clock: 20)
        XCTAssertFalse(p.peer.finishedBuying)
        p.receive(.buyResult(p01, .bought(sale(2))), from: 3, clock: 30)
        XCTAssertEqual(p.effects.buys, [])
        XCTAssertTrue(p.peer.finishedBuying)
        XCTAssertEqual(p.effects.recipients(of: .doneBuying), [1, 2, 3], "the trader and the others stop counting on it")
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(p.sent(to: 3), [.delivered([p01])], "the last result has no next request to confirm it")
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 2, sold: 0, cashCents: -200))
        p.fire(.request, at: .ms(3000))
        XCTAssertEqual(p.effects.buys, [])
    }

    func testABuyerWithNoRequestsIsFinished() {
        let p = buyer(requests: 0)
        XCTAssertEqual(p.effects.buys, [])
        XCTAssertTrue(p.peer.finishedBuying)
        XCTAssertTrue(PeerHarness.follower(id: 1).peer.finishedBuying, "a seller has nothing to buy")
    }

    // MARK: Seller

    private func seller(initialStock: Int = 100, restock: Int = 100, seed: UInt64 = 0) -> PeerHarness {
        PeerHarness.follower(id: 1, leader: 3, epoch: 1, role: .seller, product: .salt,
                            initialStock: initialStock, restock: restock, seed: seed)
    }

    func testASellerDepositsItsInitialStockWithTheTrader() {
        let p = seller()
        let d = deposit(1, 0, .salt, 100)
        XCTAssertEqual(p.sends.filter { $0.message == .deposit(d) }.map(\.to), [3], "to the trader only")
        XCTAssertEqual(p.effects.timersSet[.deposit], p.timing.depositTimeout)
        XCTAssertEqual(p.peer.seller.outstanding, d)
    }

    func testASellerWaitsForATrader() {
        let p = PeerHarness(id: 1, peers: [0, 1, 2, 3], role: .seller)
        p.start()
        p.fire(.deposit, at: .ms(100))
        XCTAssertEqual(p.effects, [], "nothing to deposit with")
        XCTAssertNil(p.peer.seller.outstanding)

        // Its trader goes quiet with a deposit outstanding: the deposit waits for the next one.
        let q = seller()
        q.fire(.heartbeat, at: .ms(800))
        XCTAssertNil(q.peer.leader)
        q.fire(.deposit, at: .ms(1000))
        XCTAssertEqual(q.sends, [])
        XCTAssertEqual(q.effects.timersSet, [.deposit: q.timing.depositTimeout])
        XCTAssertNotNil(q.peer.seller.outstanding)
    }

    func testADepositIsResentUntilAccepted() {
        let p = seller()
        p.fire(.deposit, at: .ms(1000))
        XCTAssertEqual(p.sends.map(\.message), [.deposit(deposit(1, 0, .salt, 100))])
        XCTAssertEqual(p.sends.map(\.to), [3])
        p.receive(.depositAccepted(depositID: deposit(1, 7, .salt, 1).id), from: 3, clock: 20)
        XCTAssertNotNil(p.peer.seller.outstanding, "someone else's deposit")

        p.receive(.depositAccepted(depositID: deposit(1, 0, .salt, 100).id), from: 3, clock: 21)
        XCTAssertNil(p.peer.seller.outstanding)
        XCTAssertEqual(p.peer.seller.deposits, 1)
        XCTAssertEqual(p.peer.seller.stock, [.salt: 100])
        XCTAssertEqual(p.effects.timersCancelled, [.deposit])
        XCTAssertEqual(p.sends, [], "no new deposit while it has stock")
        p.fire(.deposit, at: .ms(3000))
        XCTAssertEqual(p.sends, [])
    }

    func testANewTraderGetsTheOutstandingDepositAtOnce() {
        let p = seller()
        p.receive(.coordinator(epoch: 2), from: 2, clock: 30)
        XCTAssertEqual(p.sent(to: 2), [.doneBuying, .deposit(deposit(1, 0, .salt, 100))],
                       "a seller (roles unknown to the trader) says it will not buy")
    }

    func testAPayoutIsCreditedOncePerTrade() {
        let p = seller()
        p.receive(.depositAccepted(depositID: deposit(1, 0, .salt, 100).id), from: 3, clock: 20)
        let id = RequestID(buyer: 0, seq: 4)
        p.receive(.payout(id, sale(7)), from: 3, clock: 21)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 0, sold: 1, cashCents: 90))
        XCTAssertEqual(p.peer.seller.stock, [.salt: 99])
        XCTAssertEqual(p.sends, [], "confirmed at the next tick, with whatever else came in")

        p.receive(.payout(id, sale(7)), from: 2, clock: 22)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 0, sold: 1, cashCents: 90), "a re-sent payout counts once")

        let other = RequestID(buyer: 0, seq: 5)
        p.receive(.payout(other, sale(8)), from: 3, clock: 23)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 0, sold: 2, cashCents: 180), "another trade is another payout")
        p.fire(.heartbeat, at: .ms(100))
        XCTAssertEqual(confirmations(p).map(\.message), [.delivered([id]), .delivered([id, other])])
        XCTAssertEqual(confirmations(p).map(\.to), [2, 3], "each confirmed to whoever sent it, one message each")
        p.fire(.heartbeat, at: .ms(200))
        XCTAssertEqual(confirmations(p), [], "once")
    }

    func testAPayoutForAnotherSellerIsNotCredited() {
        let p = seller()
        p.receive(.payout(RequestID(buyer: 0, seq: 4), sale(7, seller: 2)), from: 3, clock: 21)
        XCTAssertEqual(p.peer.ledger, Ledger())
    }

    func testASoldOutSellerRestocksAProductFromItsSeededRandomStream() {
        var products: Set<Product> = []
        for seed in UInt64(0)..<24 {
            let p = seller(initialStock: 1, restock: 5, seed: seed)
            p.receive(.depositAccepted(depositID: deposit(1, 0, .salt, 1).id), from: 3, clock: 20)
            XCTAssertEqual(p.effects.sends.filter { if case .deposit = $0.message { true } else { false } }, [])
            p.receive(.payout(RequestID(buyer: 0, seq: 0), sale(1)), from: 3, clock: 21)

            var random = SplitMix64.derive(seed, 1)
            let expected = Product.allCases[Int(random.next() % UInt64(Product.allCases.count))]
            let restock = deposit(1, 1, expected, 5)
            XCTAssertEqual(p.sent(to: 3), [.deposit(restock)], "seed \(seed)")
            XCTAssertEqual(p.peer.seller.outstanding, restock)
            products.insert(expected)

            // The second restock takes the stream's next draw.
            p.receive(.depositAccepted(depositID: restock.id), from: 3, clock: 30)
            for seq in 1...5 {
                p.receive(.payout(RequestID(buyer: 0, seq: seq), sale(1 + seq, expected)), from: 3, clock: 30 + UInt64(seq))
            }
            let second = Product.allCases[Int(random.next() % UInt64(Product.allCases.count))]
            XCTAssertEqual(p.peer.seller.outstanding, deposit(1, 2, second, 5), "seed \(seed)")
        }
        XCTAssertEqual(products, Set(Product.allCases), "the draw is not a constant")
    }

    func testNoRestockWhenRestockIsZero() {
        let p = seller(initialStock: 1, restock: 0)
        p.receive(.depositAccepted(depositID: deposit(1, 0, .salt, 1).id), from: 3, clock: 20)
        p.receive(.payout(RequestID(buyer: 0, seq: 0), sale(1)), from: 3, clock: 21)
        XCTAssertEqual(p.sends, [])
        XCTAssertNil(p.peer.seller.outstanding)
    }

    // MARK: Back from a crash

    func testARestartedBuyerPicksUpItsPendingRequest() {
        let p = PeerHarness(id: 0, peers: [0, 1, 2, 3], role: .buyer, requests: 5)
        p.step(.restart)
        p.persisted(.books(PeerBooks(
            peer: 0, ledger: Ledger(bought: 1, sold: 0, cashCents: -100),
            requests: [request(0, 0, 5), request(0, 1, 9)], pendingRequests: [p01])))
        XCTAssertEqual(p.peer.buyer.completed, 1)
        XCTAssertEqual(p.peer.buyer.outstanding, request(0, 1, 9))
        XCTAssertEqual(p.peer.buyer.nextSeq, 2)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 1, sold: 0, cashCents: -100))
        p.receive(.coordinator(epoch: 3), from: 3, clock: 50)
        XCTAssertEqual(p.effects.buys.map(\.id), [p01], "the same id, with a fresh stamp")
        XCTAssertEqual(p.effects.buys.first?.lamport, 52)
    }

    func testARestartedSellerPicksUpItsStockAndCreditedTrades() {
        let p = PeerHarness(id: 1, peers: [0, 1, 2, 3], role: .seller, product: .salt)
        p.step(.restart)
        p.persisted(.books(PeerBooks(
            peer: 1, ledger: Ledger(bought: 0, sold: 3, cashCents: 270), sellerTradeIDs: [4, 5, 6],
            deposits: [deposit(1, 0, .salt, 3), deposit(1, 1, .fish, 2)], soldByProduct: [.salt: 3])))
        XCTAssertEqual(p.peer.seller.stock, [.fish: 2])
        XCTAssertEqual(p.peer.seller.deposits, 2)
        XCTAssertEqual(p.peer.seller.nextDepositSeq, 2)
        p.receive(.coordinator(epoch: 3), from: 3, clock: 50)
        XCTAssertFalse(p.sends.contains { if case .deposit = $0.message { true } else { false } }, "it still has fish")
        p.receive(.payout(RequestID(buyer: 0, seq: 2), Trade(
            tradeID: 6, seller: 1, trader: 2, epoch: 2, product: .salt, quantity: 1, priceCents: 100,
            commissionCents: 10)), from: 3, clock: 51)
        XCTAssertEqual(p.peer.ledger, Ledger(bought: 0, sold: 3, cashCents: 270), "trade 6 was credited before the crash")
    }
}
