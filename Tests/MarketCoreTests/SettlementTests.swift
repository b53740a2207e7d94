import MarketCore
import XCTest

/// When a run is over: the one rule the simulator and the supervisor share.
final class SettlementTests: XCTestCase {
    private let trader = PeerStanding(up: true, traderEpoch: 3, finishedBuying: false)
    private let doneBuyer = PeerStanding(up: true, traderEpoch: nil, finishedBuying: true)
    private let seller = PeerStanding(up: true, traderEpoch: nil, finishedBuying: true)

    func testSettledWhenEveryBuyerIsDoneAndOneTraderHoldsTheStoresEpoch() {
        XCTAssertTrue(Settlement.isSettled([doneBuyer, seller, trader], pending: 0, undelivered: 0, storeEpoch: 3))
    }

    func testATraderThatIsABuyerNeedNotFinishBuyingAsTheHighestPeer() {
        XCTAssertTrue(Settlement.isSettled([seller, trader], pending: 0, undelivered: 0, storeEpoch: 3))
    }

    func testNotSettled() {
        let buying = PeerStanding(up: true, traderEpoch: nil, finishedBuying: false)
        let deposed = PeerStanding(up: true, traderEpoch: 2, finishedBuying: false)
        let sick = PeerStanding(up: false, traderEpoch: nil, finishedBuying: true)
        XCTAssertFalse(Settlement.isSettled([doneBuyer, trader], pending: 1, undelivered: 0, storeEpoch: 3), "a pending request")
        XCTAssertFalse(Settlement.isSettled([doneBuyer, trader], pending: 0, undelivered: 1, storeEpoch: 3), "an undelivered payout")
        XCTAssertFalse(Settlement.isSettled([buying, trader], pending: 0, undelivered: 0, storeEpoch: 3), "a buyer still buying")
        XCTAssertFalse(Settlement.isSettled([doneBuyer, nil, trader], pending: 0, undelivered: 0, storeEpoch: 3), "a peer down")
        XCTAssertFalse(Settlement.isSettled([sick, trader], pending: 0, undelivered: 0, storeEpoch: 3), "a peer sick")
        XCTAssertFalse(Settlement.isSettled([doneBuyer, deposed], pending: 0, undelivered: 0, storeEpoch: 3), "a deposed trader")
        XCTAssertFalse(Settlement.isSettled([doneBuyer, seller], pending: 0, undelivered: 0, storeEpoch: 3), "no trader")
        XCTAssertFalse(Settlement.isSettled([trader, trader], pending: 0, undelivered: 0, storeEpoch: 3), "two traders")
        XCTAssertFalse(Settlement.isSettled([doneBuyer], pending: 0, undelivered: 0, storeEpoch: 0), "never elected")
        XCTAssertFalse(Settlement.isSettled([trader, seller], pending: 0, undelivered: 0, storeEpoch: 3),
                       "a buyer in office below a peer that will take over, when it would buy again")
        let electing = PeerStanding(up: true, traderEpoch: nil, finishedBuying: true, electing: true)
        XCTAssertFalse(Settlement.isSettled([trader, electing], pending: 0, undelivered: 0, storeEpoch: 3),
                       "a peer back from a crash holding its recovery election: it may take over from the buyer in office")
    }
}
