import Foundation
import MarketCore
import MarketStore
import XCTest

/// The trader's lease in the leader record: renewed by the trader of the stored epoch only,
/// voided by the next claim, and judged live or lapsed by the store's own clock.
extension StoreContract {
    func aLeaseIsRenewedFencedAndVoidedByAClaim() throws {
        let store = try make()
        XCTAssertEqual(try store.readLease(), .lease(epoch: 0, leader: nil, live: false), "no trader, no lease")
        XCTAssertEqual(try store.claimEpoch(Self.claim(1)), .claimed(Self.claim(1)))
        XCTAssertEqual(try store.readLease(), .lease(epoch: 1, leader: Self.trader, live: false),
                       "a claim grants no lease: the trader renews it while it hears someone")
        XCTAssertEqual(try store.renewLease(epoch: 1, for: .seconds(600)), .leaseRenewed(epoch: 1))
        XCTAssertEqual(try store.readLease(), .lease(epoch: 1, leader: Self.trader, live: true))
        XCTAssertEqual(try store.renewLease(epoch: 0, for: .seconds(600)), .deposed(current: 1))

        XCTAssertEqual(try store.claimEpoch(Self.claim(2, 5)), .claimed(Self.claim(2, 5)))
        XCTAssertEqual(try store.readLease(), .lease(epoch: 2, leader: 5, live: false), "the claim voided the old trader's lease")
        XCTAssertEqual(try store.renewLease(epoch: 1, for: .seconds(600)), .deposed(current: 2), "fenced like every trader write")
        XCTAssertEqual(try store.readLease(), .lease(epoch: 2, leader: 5, live: false), "the fenced renewal wrote nothing")
        XCTAssertEqual(try store.renewLease(epoch: 2, for: .seconds(600)), .leaseRenewed(epoch: 2))
        XCTAssertEqual(try store.readLease(), .lease(epoch: 2, leader: 5, live: true))
    }

    func aLeaseLapsesByTheStoresClock() throws {
        let store = try make()
        XCTAssertEqual(try store.claimEpoch(Self.claim(1)), .claimed(Self.claim(1)))
        XCTAssertEqual(try store.renewLease(epoch: 1, for: .zero), .leaseRenewed(epoch: 1))
        XCTAssertEqual(try store.readLease(), .lease(epoch: 1, leader: Self.trader, live: false), "a term of nothing is over at once")

        let term = Duration.milliseconds(200)
        XCTAssertEqual(try store.renewLease(epoch: 1, for: term), .leaseRenewed(epoch: 1))
        if let passTime {
            passTime(store, term - .milliseconds(1))
            XCTAssertEqual(try store.readLease(), .lease(epoch: 1, leader: Self.trader, live: true))
            passTime(store, .milliseconds(1))
        } else {
            // A real clock: waited on until the store says it lapsed; the deadline only a safety net.
            let deadline = Date().addingTimeInterval(30)
            while try store.readLease() != .lease(epoch: 1, leader: Self.trader, live: false), Date() < deadline {
                usleep(10_000)
            }
        }
        XCTAssertEqual(try store.readLease(), .lease(epoch: 1, leader: Self.trader, live: false), "lapsed once its term ran out")
        XCTAssertEqual(try store.renewLease(epoch: 1, for: .seconds(600)), .leaseRenewed(epoch: 1))
        XCTAssertEqual(try store.readLease(), .lease(epoch: 1, leader: Self.trader, live: true), "renewed, live again")
    }
}
