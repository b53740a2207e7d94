import MarketTestKit
import XCTest
@testable import MarketCore

/// The trader's side, driven through `Peer.step`: P3 trades for P0 and P1 (buyers) and the
/// sellers P1 (salt) and P2 (boar), unless a test says otherwise.
class TraderTestCase: XCTestCase {
    let stock = [deposit(1, 0, .salt, 10), deposit(2, 0, .boar, 10)]

    func trader(
        deposits: [Deposit]? = nil, quantity: Int = 1, priceCents: Int = 100, commissionPercent: Int = 10,
        sickRate: Double = 0, maxBatch: Int = 256, stabilityRule: OrderBook.StabilityRule = .lamport,
        file: StaticString = #filePath, line: UInt = #line
    ) -> PeerHarness {
        PeerHarness.trader(
            takeover: Takeover(epoch: 1, deposits: deposits ?? stock), quantity: quantity, priceCents: priceCents,
            commissionPercent: commissionPercent, sickRate: sickRate, maxBatch: maxBatch,
            stabilityRule: stabilityRule, file: file, line: line)
    }

    func trade(_ id: Int, seller: PeerID, _ product: Product = .salt, quantity: Int = 1,
                       price: Int = 100, commission: Int = 10, epoch: Epoch = 1) -> Trade {
        Trade(tradeID: id, seller: seller, trader: 3, epoch: epoch, product: product, quantity: quantity,
              priceCents: price, commissionCents: commission)
    }

    /// Every other peer speaks with a stamp past everything so far.
    func everyoneSpeaks(_ t: PeerHarness, clock: UInt64, except: Set<PeerID> = []) {
        for other in [0, 1, 2] where !except.contains(other) {
            t.heartbeat(from: other, clock: clock, epoch: 1, leader: 3)
        }
    }

    /// Buys from their buyers, each at its own stamp, then all made durable in that order.
    func receiveDurably(_ t: PeerHarness, _ requests: [BuyRequest]) {
        for r in requests { t.receive(.buy(r), from: r.buyer, clock: r.lamport) }
        for r in requests { t.persisted(.enqueued(r)) }
    }

    /// A buy from its buyer, made durable, then made stable; returns what was committed.
    func decide(_ t: PeerHarness, _ r: BuyRequest, file: StaticString = #filePath, line: UInt = #line) -> DecisionBatch? {
        t.receive(.buy(r), from: r.buyer, clock: r.lamport)
        XCTAssertEqual(t.effects.enqueues, [r], file: file, line: line)
        t.persisted(.enqueued(r))
        everyoneSpeaks(t, clock: r.lamport + 10, except: [r.buyer])
        let commits = t.effects.commits
        XCTAssertEqual(commits.count, 1, file: file, line: line)
        return commits.first
    }
}
