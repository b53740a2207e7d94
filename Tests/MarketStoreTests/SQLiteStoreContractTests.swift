import Foundation
import MarketCore
import MarketStore
import XCTest

/// The store contract against the SQLite store, on a real file.
final class SQLiteStoreContractTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
    }

    override func tearDown() {
        directory = nil
    }

    var contract: StoreContract {
        let path = directory.path("contract.db")
        return StoreContract {
            let database = try MarketDatabase.open(path: path)
            let run = try database.beginRun(scenario: "contract", peerCount: 7, seed: 1, peers: [])
            return database.store(runID: run)
        }
    }

    func testClaimOnlyFromThePreviousEpoch() throws { try contract.claimOnlyFromThePreviousEpoch() }
    func testEnqueueIsIdempotentWhilePending() throws { try contract.enqueueIsIdempotentWhilePending() }
    func testEnqueueOfADecidedRequestReturnsTheDecision() throws { try contract.enqueueOfADecidedRequestReturnsTheDecision() }
    func testDepositsAreIdempotent() throws { try contract.depositsAreIdempotent() }
    func testDeposedWritersWriteNothing() throws { try contract.deposedWritersWriteNothing() }
    func testABatchCommitsWhole() throws { try contract.aBatchCommitsWhole() }
    func testTakeoverLoadsPendingInLamportOrderAndTheOutbox() throws { try contract.takeoverLoadsPendingInLamportOrderAndTheOutbox() }
    func testMarkDeliveredForgetsConfirmedItems() throws { try contract.markDeliveredForgetsConfirmedItems() }
    func testLoadBooksAccountsForEveryRole() throws { try contract.loadBooksAccountsForEveryRole() }
}
