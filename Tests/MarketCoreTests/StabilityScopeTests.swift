import MarketTestKit
import XCTest
@testable import MarketCore

/// The trader waits only for the peers that can still send a request, and decides a first
/// attempt that is stable on arrival in one transaction. P3 trades; P0 and P1 buy, P2 sells,
/// unless said otherwise.
final class StabilityScopeTests: XCTestCase {
    private let stock = [deposit(2, 0, .salt, 10)]

    private func trader(buyers: Set<PeerID> = [0, 1], sickRate: Double = 0) -> PeerHarness {
        PeerHarness.trader(takeover: Takeover(epoch: 1, deposits: stock), sickRate: sickRate, buyers: buyers)
    }

    func testASellerIsNeverWaitedFor() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        t.persisted(.enqueued(r))
        XCTAssertEqual(t.effects.commits, [], "P1 may still send something ordered first")
        t.receive(.ack(r.id), from: 1, clock: 7)
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [r], "P2 sells: nothing to wait for")
    }

    func testABuyerThatIsDoneIsNoLongerWaitedFor() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        t.persisted(.enqueued(r))
        XCTAssertEqual(t.effects.commits, [])
        t.receive(.doneBuying, from: 1, clock: 3)
        XCTAssertEqual(t.effects.commits.first?.decisions.map(\.request), [r])
    }

    func testAFirstAttemptStableOnArrivalIsDecidedWithoutAnEnqueue() {
        // The only buyer: nobody else can precede its request.
        let t = trader(buyers: [0])
        let r = request(0, 0, 6)
        t.receive(.buy(r, firstAttempt: true), from: 0, clock: 6)
        XCTAssertEqual(t.effects.enqueues, [], "no transaction of its own")
        let sale = Trade(tradeID: 1, seller: 2, trader: 3, epoch: 1, product: .salt, quantity: 1,
                         priceCents: 100, commissionCents: 10)
        XCTAssertEqual(t.effects.commits, [DecisionBatch(epoch: 1, decisions: [
            Decision(request: r, outcome: .bought(sale), seq: 1, epoch: 1),
        ], views: [ViewChange(epoch: 1, view: 0, trader: 3, members: [0], firstSeq: 1)])], "the decision's transaction records it")
        XCTAssertEqual(t.sends, [], "never acknowledged as queued: it was never pending")
        t.persisted(.committed(t.effects.commits[0]))
        XCTAssertEqual(t.sent(to: 0), [.buyResult(r.id, .bought(sale))])
    }

    func testAFirstAttemptThatMustWaitTakesTheQueue() {
        let t = trader()
        let r = request(0, 0, 6)
        t.receive(.buy(r, firstAttempt: true), from: 0, clock: 6)
        XCTAssertEqual(t.effects.enqueues, [r], "P1 may still precede it")
        XCTAssertEqual(t.effects.commits, [])
    }

    func testARetryAlwaysTakesTheQueue() {
        // A store may hold it already (pending or decided): only the enqueue can tell.
        let t = trader(buyers: [0])
        let r = request(0, 0, 6)
        t.receive(.buy(r), from: 0, clock: 6)
        XCTAssertEqual(t.effects.enqueues, [r])
        XCTAssertEqual(t.effects.commits, [])
    }

    func testAFirstAttemptBehindACommitInFlightTakesTheQueue() {
        let t = trader(buyers: [0])
        let first = request(0, 0, 6)
        t.receive(.buy(first, firstAttempt: true), from: 0, clock: 6)
        XCTAssertEqual(t.effects.commits.count, 1)
        let second = request(0, 1, 7)
        t.receive(.buy(second, firstAttempt: true), from: 0, clock: 7)
        XCTAssertEqual(t.effects.enqueues, [second], "one commit at a time")
    }

    func testTheSickRateStillStrikesAfterAQueuedRequest() {
        let t = trader(buyers: [0], sickRate: 1)
        let r = request(0, 0, 6)
        t.receive(.buy(r, firstAttempt: true), from: 0, clock: 6)
        XCTAssertEqual(t.effects.enqueues, [r], "the lab's fault needs a queued, undecided request")
        t.persisted(.enqueued(r))
        XCTAssertEqual(t.sent(to: 0), [.queued(r.id)])
        XCTAssertEqual(t.effects.sickness, [.silent])
    }

    func testABuyersNextRequestConfirmsItsEarlierResults() {
        let t = trader(buyers: [0])
        t.receive(.buy(request(0, 0, 6), firstAttempt: true), from: 0, clock: 6)
        t.persisted(.committed(t.effects.commits[0]))
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 2, "the result to P0, the payout to P2")
        t.receive(.buy(request(0, 1, 20), firstAttempt: true), from: 0, clock: 20)
        XCTAssertEqual(t.peer.trader?.unconfirmedCount, 1, "P0 asks again only once it has its result")
        XCTAssertEqual(t.effects.commits.first?.delivered, [DeliveryKey(requestID: RequestID(buyer: 0, seq: 0), recipient: 0)])
    }
}
