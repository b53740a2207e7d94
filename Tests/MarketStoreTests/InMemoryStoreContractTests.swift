import MarketCore
import MarketSimulation
import XCTest

/// The same store contract against the simulator's in-memory store.
final class InMemoryStoreContractTests: XCTestCase {
    let contract = StoreContract { InMemoryStore() }

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
