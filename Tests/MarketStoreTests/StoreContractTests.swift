import Foundation
import MarketCore
import MarketSimulation
import MarketStore
import MarketTestKit
import XCTest

/// The store contract against every store that implements `TradingPostStore`: each case once
/// per store, on fresh stores. Adding a store is one line in `stores`.
///
/// One class loops over the stores rather than a base class with a subclass per store: on
/// Linux, SwiftPM's test discovery does not run a test method in the subclasses that inherit
/// it (swiftlang/swift-package-manager#5573), so inherited cases would silently not run.
final class StoreContractTests: TemporaryDirectoryTestCase {
    /// Each store by name, with how to make a fresh one: epoch 0, no leader, nothing recorded.
    private var stores: [(name: String, contract: StoreContract)] {
        let path = directory.path("contract.db")
        return [
            ("in-memory store", StoreContract { InMemoryStore() }),
            ("SQLite store", StoreContract {
                let database = try MarketDatabase.open(path: path)
                let run = try database.beginRun(scenario: "contract", peerCount: 7, seed: 1, peers: [])
                return database.store(runID: run)
            }),
        ]
    }

    /// Runs `check` against every store; a failure names the store it happened on.
    private func onEveryStore(_ check: (StoreContract) throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        for (name, contract) in stores {
            let failuresBefore = testRun?.totalFailureCount ?? 0
            do {
                try check(contract)
            } catch {
                XCTFail("\(error)", file: file, line: line)
            }
            if let failures = testRun?.totalFailureCount, failures > failuresBefore {
                XCTFail("the failures above are the \(name)'s", file: file, line: line)
            }
        }
    }

    func testClaimOnlyFromThePreviousEpoch() { onEveryStore { try $0.claimOnlyFromThePreviousEpoch() } }
    func testEnqueueIsIdempotentWhilePending() { onEveryStore { try $0.enqueueIsIdempotentWhilePending() } }
    func testEnqueueOfADecidedRequestReturnsTheDecision() { onEveryStore { try $0.enqueueOfADecidedRequestReturnsTheDecision() } }
    func testDepositsAreIdempotent() { onEveryStore { try $0.depositsAreIdempotent() } }
    func testDeposedWritersWriteNothing() { onEveryStore { try $0.deposedWritersWriteNothing() } }
    func testABatchCommitsWhole() { onEveryStore { try $0.aBatchCommitsWhole() } }
    func testABatchNamingARequestTwiceIsRefusedWhole() { onEveryStore { try $0.aBatchNamingARequestTwiceIsRefusedWhole() } }
    func testABatchSellingGoodsNotHeldIsRefusedWhole() { onEveryStore { try $0.aBatchSellingGoodsNotHeldIsRefusedWhole() } }
    func testABatchWithARequestDecidedBeforeIsAnsweredAndTheRestWritten() {
        onEveryStore { try $0.aBatchWithARequestDecidedBeforeIsAnsweredAndTheRestWritten() }
    }
    func testTakeoverLoadsPendingInLamportOrderAndTheOutbox() { onEveryStore { try $0.takeoverLoadsPendingInLamportOrderAndTheOutbox() } }
    func testMarkDeliveredForgetsConfirmedItems() { onEveryStore { try $0.markDeliveredForgetsConfirmedItems() } }
    func testLoadBooksAccountsForEveryRole() { onEveryStore { try $0.loadBooksAccountsForEveryRole() } }
}
