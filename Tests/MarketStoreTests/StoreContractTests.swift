import Foundation
import MarketCore
import MarketSimulation
import MarketStore
import MarketTestKit
import XCTest

/// The store contract against every store that implements `TradingPostStore`: each case once
/// per store, on fresh stores (on PostgreSQL, a fresh database per test). Adding a store is one
/// line in `stores`.
///
/// One class loops over the stores rather than a base class with a subclass per store: on
/// Linux, SwiftPM's test discovery does not run a test method in the subclasses that inherit
/// it (swiftlang/swift-package-manager#5573), so inherited cases would silently not run.
final class StoreContractTests: TemporaryDirectoryTestCase {
    /// Each store by name, with how to make a fresh one: epoch 0, no leader, nothing recorded.
    /// The PostgreSQL store is a failure, saying why, where PostgreSQL is not installed.
    private func stores() throws -> [(name: String, contract: Result<StoreContract, PostgresUnavailable>)] {
        let path = directory.path("contract.db")
        return [
            ("in-memory store", .success({
                var contract = StoreContract {
                    let store = InMemoryStore()
                    store.clock = .zero
                    return store
                }
                contract.passTime = { store, duration in (store as? InMemoryStore)?.clock? += duration }
                return contract
            }())),
            ("SQLite store", .success(StoreContract {
                let database = try MarketDatabase.open(path: path)
                let run = try database.beginRun(scenario: "contract", peerCount: 7, seed: 1, peers: [])
                return database.store(runID: run)
            })),
            ("PostgreSQL store", try postgresDatabase().map { url in
                StoreContract {
                    let database = try MarketDatabase.open(url: url)
                    let run = try database.beginRun(scenario: "contract", peerCount: 7, seed: 1, peers: [])
                    return database.store(runID: run)
                }
            }),
        ]
    }

    /// A fresh database of this test's own on the test process's private server.
    private func postgresDatabase() throws -> Result<String, PostgresUnavailable> {
        do {
            return .success(try PrivatePostgres.shared().createDatabase("contract"))
        } catch let unavailable as PostgresUnavailable {
            return .failure(unavailable)
        }
    }

    /// Runs `check` against every store; a failure names the store it happened on. A store that
    /// cannot run here is said as a skip, once the others have run.
    private func onEveryStore(_ check: (StoreContract) throws -> Void, file: StaticString = #filePath, line: UInt = #line) throws {
        var unavailable: [String] = []
        for (name, made) in try stores() {
            let contract: StoreContract
            switch made {
            case .success(let made): contract = made
            case .failure(let reason):
                unavailable.append("\(name): \(reason)")
                continue
            }
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
        if !unavailable.isEmpty {
            throw XCTSkip("the other stores passed; not run on the " + unavailable.joined(separator: "; "))
        }
    }

    func testClaimOnlyFromThePreviousEpoch() throws { try onEveryStore { try $0.claimOnlyFromThePreviousEpoch() } }
    func testEnqueueIsIdempotentWhilePending() throws { try onEveryStore { try $0.enqueueIsIdempotentWhilePending() } }
    func testEnqueueOfADecidedRequestReturnsTheDecision() throws { try onEveryStore { try $0.enqueueOfADecidedRequestReturnsTheDecision() } }
    func testDepositsAreIdempotent() throws { try onEveryStore { try $0.depositsAreIdempotent() } }
    func testDeposedWritersWriteNothing() throws { try onEveryStore { try $0.deposedWritersWriteNothing() } }
    func testABatchCommitsWhole() throws { try onEveryStore { try $0.aBatchCommitsWhole() } }
    func testABatchNamingARequestTwiceIsRefusedWhole() throws { try onEveryStore { try $0.aBatchNamingARequestTwiceIsRefusedWhole() } }
    func testABatchSellingGoodsNotHeldIsRefusedWhole() throws { try onEveryStore { try $0.aBatchSellingGoodsNotHeldIsRefusedWhole() } }
    func testABatchWithARequestDecidedBeforeIsAnsweredAndTheRestWritten() throws {
        try onEveryStore { try $0.aBatchWithARequestDecidedBeforeIsAnsweredAndTheRestWritten() }
    }
    func testTakeoverLoadsPendingInLamportOrderAndTheOutbox() throws { try onEveryStore { try $0.takeoverLoadsPendingInLamportOrderAndTheOutbox() } }
    func testMarkDeliveredForgetsConfirmedItems() throws { try onEveryStore { try $0.markDeliveredForgetsConfirmedItems() } }
    func testLoadBooksAccountsForEveryRole() throws { try onEveryStore { try $0.loadBooksAccountsForEveryRole() } }
    func testAnAbandonedElectionLendsNothingToTheNext() throws { try onEveryStore { try $0.anAbandonedElectionLendsNothingToTheNext() } }
    func testViewsAreWrittenWithTheirBatch() throws { try onEveryStore { try $0.viewsAreWrittenWithTheirBatch() } }
    func testABatchThatDoesNotLandWritesNoViews() throws { try onEveryStore { try $0.aBatchThatDoesNotLandWritesNoViews() } }
    func testALeaseIsRenewedFencedAndVoidedByAClaim() throws { try onEveryStore { try $0.aLeaseIsRenewedFencedAndVoidedByAClaim() } }
    func testALeaseLapsesByTheStoresClock() throws { try onEveryStore { try $0.aLeaseLapsesByTheStoresClock() } }
}
