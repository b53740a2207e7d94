import MarketTestKit
import XCTest
@testable import MarketCore

/// Confirmations of payouts go together at the next tick: each id once, and in messages no
/// larger than a frame takes, however many piled up (a seller that was paused catches up).
final class ConfirmationTests: XCTestCase {
    func testAPileOfPayoutsIsConfirmedOnceEach_inBoundedMessages() {
        let p = PeerHarness.follower(id: 1, leader: 3, epoch: 1, role: .seller, product: .salt)
        let count = WireLimits.maxDeliveredIDs + 5
        for seq in 0..<count {
            let trade = Trade(tradeID: seq + 1, seller: 1, trader: 3, epoch: 1, product: .salt, quantity: 1,
                              priceCents: 100, commissionCents: 10)
            p.receive(.payout(RequestID(buyer: 0, seq: seq), trade), from: 3, clock: 10 + UInt64(seq))
            if seq == 0 { p.receive(.payout(RequestID(buyer: 0, seq: 0), trade), from: 3, clock: 10) }
        }
        p.fire(.heartbeat, at: .ms(100))
        let confirmations = p.sent(to: 3).compactMap { message -> [RequestID]? in
            if case .delivered(let ids) = message { ids } else { nil }
        }
        XCTAssertEqual(confirmations.map(\.count), [WireLimits.maxDeliveredIDs, 5])
        XCTAssertEqual(Set(confirmations.joined()).count, count, "each once")
    }
}
