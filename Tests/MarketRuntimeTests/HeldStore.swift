import Foundation
import MarketCore
import MarketStore
import MarketTestKit
import NIOCore

/// The run's store, except that every request `holds` picks waits until the test lets it
/// through: a commit exactly as slow as the test wants. It notes every request, and whether
/// it was called on the peer's event loop.
final class HeldStore: TradingPostStore, @unchecked Sendable {
    struct Calls: Sendable {
        /// Every request, in the order the store got them.
        var asked: [StoreRequest] = []
        /// The requests performed, in order.
        var done: [StoreRequest] = []
        /// Requests asked on the peer's event loop.
        var onLoop: [StoreRequest] = []
        /// The request held now.
        var held: StoreRequest?
        /// Held requests the test let through and that have not gone yet.
        var passes = 0
        /// Nothing is held any more.
        var open = false
    }

    let calls = Watched(Calls())
    private let inner: SQLiteStore
    private let loop: EventLoop
    private let holds: @Sendable (StoreRequest) -> Bool

    init(_ inner: SQLiteStore, loop: EventLoop, holds: @escaping @Sendable (StoreRequest) -> Bool) {
        self.inner = inner
        self.loop = loop
        self.holds = holds
    }

    /// Lets the request held now (or the next one) through.
    func release() {
        calls.update { $0.passes += 1 }
    }

    /// Holds nothing from now on: a test that ends lets every waiting call go.
    func open() {
        calls.update { $0.open = true }
    }

    private func pass(_ request: StoreRequest) throws -> StoreResult {
        let onLoop = loop.inEventLoop
        calls.update {
            $0.asked.append(request)
            if onLoop { $0.onLoop.append(request) }
        }
        if holds(request) {
            calls.update { $0.held = request }
            // The deadline is only a safety net: the test lets it through.
            _ = calls.wait(seconds: 120) { $0.passes > 0 || $0.open }
            calls.update {
                if $0.passes > 0 { $0.passes -= 1 }
                $0.held = nil
            }
        }
        let result = try inner.perform(request)
        calls.update { $0.done.append(request) }
        return result
    }

    func noteElectionStarted(by peer: PeerID, reason: ElectionReason, knownEpoch: Epoch) throws -> StoreResult {
        try pass(.noteElectionStarted(by: peer, reason: reason, knownEpoch: knownEpoch))
    }
    func noteElectionAbandoned(by peer: PeerID) throws -> StoreResult { try pass(.noteElectionAbandoned(by: peer)) }
    func claimEpoch(_ claim: ElectionClaim) throws -> StoreResult { try pass(.claimEpoch(claim)) }
    func loadTakeover(epoch: Epoch) throws -> StoreResult { try pass(.loadTakeover(epoch: epoch)) }
    func enqueue(_ request: BuyRequest, epoch: Epoch) throws -> StoreResult { try pass(.enqueue(request, epoch: epoch)) }
    func recordDeposit(_ deposit: Deposit, epoch: Epoch) throws -> StoreResult { try pass(.recordDeposit(deposit, epoch: epoch)) }
    func commitDecisions(_ batch: DecisionBatch) throws -> StoreResult { try pass(.commitDecisions(batch)) }
    func markDelivered(_ keys: [DeliveryKey]) throws -> StoreResult { try pass(.markDelivered(keys)) }
    func loadBooks(peer: PeerID) throws -> StoreResult { try pass(.loadBooks(peer: peer)) }
    func readLeader() throws -> StoreResult { try pass(.readLeader) }
    func renewLease(epoch: Epoch, for term: Duration) throws -> StoreResult { try pass(.renewLease(epoch: epoch, for: term)) }
    func readLease() throws -> StoreResult { try pass(.readLease) }
}

extension StoreRequest {
    var isCommit: Bool {
        if case .commitDecisions = self { true } else { false }
    }

    /// The request a commit or an enqueue is about, for the test's reading.
    var requestIDs: [RequestID] {
        switch self {
        case .commitDecisions(let batch): batch.decisions.map(\.request.id)
        case .enqueue(let request, _): [request.id]
        default: []
        }
    }
}
