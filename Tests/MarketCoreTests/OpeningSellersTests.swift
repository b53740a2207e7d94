import MarketTestKit
import XCTest
@testable import MarketCore

/// The market opens with its sellers, and a seller elected trader keeps its goods on sale.
/// P3 trades; P0 and P1 buy; P2 sells (and so, before it traded, may P3).
final class OpeningSellersTests: TraderTestCase {
    func market(deposits: [Deposit] = [], sold: [SellerProduct: Int] = [:]) -> PeerHarness {
        PeerHarness.trader(takeover: Takeover(epoch: 1, deposits: deposits, sold: sold), buyers: [0, 1])
    }

    /// P0's salt buy, durable and stable.
    func buySalt(_ t: PeerHarness, at time: Duration = .ms(10)) -> BuyRequest {
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: r.lamport, at: time)
        t.persisted(.enqueued(r))
        t.heartbeat(from: 1, clock: 20, epoch: 1, leader: 3)
        return r
    }

    func testABuyThatWouldFailWaitsForASellersFirstDeposit() {
        let t = market()
        let r = buySalt(t)
        XCTAssertEqual(t.effects.commits, [], "P2 has not deposited yet: no `no seller`")
        XCTAssertEqual(t.peer.trader?.pendingCount, 1)

        let d = deposit(2, 0, .salt, 5)
        t.receive(.deposit(d), from: 2, clock: 21, at: .ms(12))
        XCTAssertEqual(t.effects.commits, [], "not yet recorded")
        t.persisted(.depositRecorded(d, duplicate: false))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request.id), [r.id])
        XCTAssertEqual(t.effects.commits.first?.decisions.first?.outcome.trade?.seller, 2)
    }

    func testBuysOrderedAfterAHeldOneWaitWithIt() {
        // P1's boar buy could be filled (P3's own boar), but it comes after P0's in Lamport
        // order: deciding it first would break the total order.
        let t = market(deposits: [deposit(3, 0, .boar, 5)])
        let first = request(0, 0, 6), second = request(1, 0, 7, .boar)
        receiveDurably(t, [first, second])
        t.heartbeat(from: 0, clock: 20, epoch: 1, leader: 3)
        t.heartbeat(from: 1, clock: 20, epoch: 1, leader: 3)
        XCTAssertEqual(t.effects.commits, [])
        XCTAssertEqual(t.peer.trader?.pendingCount, 2)

        let d = deposit(2, 0, .fish, 5)
        t.receive(.deposit(d), from: 2, clock: 21)
        t.persisted(.depositRecorded(d, duplicate: false))
        let outcomes = t.effects.commits.first?.decisions.map(\.outcome)
        XCTAssertEqual(outcomes?.first, .failed(.noSeller), "P2 deposited fish: now salt truly has no seller")
        XCTAssertEqual(outcomes?.last?.trade?.seller, 3)
    }

    func testASellerSilentBeforeItsFirstDepositHoldsTheMarketOnlyUntilSuspected() {
        // P2 was last heard at 0 and never deposits; the trader suspects it after 800 ms.
        let t = market()
        let r = buySalt(t)
        t.fire(.heartbeat, at: .ms(700))
        XCTAssertEqual(t.effects.commits, [], "P2 may still be on its way")
        t.fire(.heartbeat, at: .ms(810))
        XCTAssertEqual(t.effects.commits.first?.decisions, [Decision(request: r, outcome: .failed(.noSeller), seq: 1, epoch: 1)])
    }

    func testASellerSeenGoneIsNotWaitedFor() {
        let t = market()
        let r = buySalt(t)
        XCTAssertEqual(t.effects.commits, [])
        t.step(.peerGone(2), at: .ms(20))
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.outcome), [.failed(.noSeller)])
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request.id), [r.id])
    }

    func testASellerInTheTakeoversBooksIsNotWaitedFor() {
        // P2 deposited salt under an earlier trader and it sold out: no first deposit to wait for.
        let t = market(deposits: [deposit(2, 0, .salt, 1)], sold: [SellerProduct(seller: 2, product: .salt): 1])
        _ = buySalt(t)
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.outcome), [.failed(.noSeller)])
    }

    func testWithoutKnownRolesNobodyIsWaitedFor() {
        let t = PeerHarness.trader(takeover: Takeover(epoch: 1))
        _ = buySalt(t)
        everyoneSpeaks(t, clock: 20, except: [0, 1])
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.outcome), [.failed(.noSeller)])
    }

    func testATraderSellsGoodsItDepositedBeforeItTraded() {
        // P3 deposited boar as a seller, then won the election: its goods stay on sale and
        // their proceeds are its own, paid without the wire.
        let t = market(deposits: [deposit(3, 0, .boar, 5), deposit(2, 0, .fish, 5)])
        let r = request(0, 0, 6, .boar)
        t.receive(.buy(r), from: 0, clock: r.lamport, at: .ms(10))
        t.persisted(.enqueued(r))
        t.heartbeat(from: 1, clock: 20, epoch: 1, leader: 3)
        guard let batch = t.effects.commits.first else { return XCTFail("nothing decided") }
        XCTAssertEqual(batch.decisions.map(\.outcome), [.bought(trade(1, seller: 3, .boar))])
        t.persisted(.committed(batch))
        XCTAssertEqual(t.sends.map(\.to), [0], "the result goes to the buyer; the payout needs no wire")
        XCTAssertEqual(t.peer.ledger, Ledger(bought: 0, sold: 1, cashCents: 100), "90 as seller, 10 as trader")
        XCTAssertNil(t.peer.seller.outstanding, "it deposits nothing new while it trades")
    }
}
