import Foundation
import MarketCore
import MarketStore

/// The store requests of one batch, handed by the peer's loop to its store thread: performed
/// there in the order the core asked for them, the answer handed back to the loop.
///
/// The loop may take the batch back (`cancel`): a request the thread has not begun is then
/// never begun, and one waiting for another connection's lock stops waiting; a request in
/// the middle of its transaction still ends, and its result is in the answer, so whoever
/// takes the answer knows exactly which requests the store carried out.
final class StoreBatch: @unchecked Sendable {
    let requests: [StoreRequest]
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var cancelled = false
    private var answer: Answer?
    private var taken = false

    struct Answer: Sendable {
        /// The results of the first `results.count` requests, in order.
        var results: [StoreResult]
        var ending: Ending
        /// How long the batch waited for another connection's lock, if it did.
        var lockedFor: Duration?
        /// The store thread's processor time on the batch (not the wall time: on a machine with
        /// more peers than cores that is mostly waiting for a core).
        var took: Duration = .zero
    }

    enum Ending: Sendable {
        case done
        /// Taken back: the requests after the results were never begun.
        case cancelled
        /// The store failed on this request (not for a lock): the requests after it were never begun.
        case failed(StoreRequest, String)
    }

    init(_ requests: [StoreRequest]) {
        self.requests = requests
    }

    /// Performs the requests, on the store's thread: together where the store can
    /// (`StoreRequestGroups`: on PostgreSQL, a trader's hot writes in one round trip), else one
    /// by one. A request refused for another connection's lock is tried again every `retry` (see
    /// `PeerShell.lockRetry`) until it gets through or the batch is taken back; `locked` hears of
    /// the first refusal.
    func perform(on store: any TradingPostStore, retry: Duration, locked: (StoreRequest) -> Void) {
        let began = Self.threadCPUTime()
        var results: [StoreResult] = []
        var ending = Ending.done
        var lockedSince: ContinuousClock.Instant?
        while results.count < requests.count {
            if isCancelled {
                ending = .cancelled
                break
            }
            let (done, stop) = Self.performInOrder(requests[results.count...], on: store)
            results += done
            guard let stop else { continue }
            let request = requests[results.count]
            if case StoreError.busy = stop {
                if lockedSince == nil {
                    lockedSince = ContinuousClock.now
                    locked(request)
                }
                if !pause(for: retry) {
                    ending = .cancelled
                    break
                }
                continue
            }
            ending = .failed(request, "\(stop)")
            break
        }
        let now = ContinuousClock.now
        finish(Answer(results: results, ending: ending, lockedFor: lockedSince.map { now - $0 }, took: Self.threadCPUTime() - began))
    }

    /// The calling thread's processor time so far.
    private static func threadCPUTime() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }

    /// The next group the store takes together (one round trip on PostgreSQL), else the next
    /// request alone: so a batch taken back stops before any request it has not begun.
    private static func performInOrder(
        _ requests: ArraySlice<StoreRequest>, on store: any TradingPostStore
    ) -> (results: [StoreResult], stoppedBy: (any Error)?) {
        if let groups = store as? any StoreRequestGroups, groups.together(requests) > 1 {
            return groups.performInOrder(requests.prefix(groups.together(requests)))
        }
        guard let request = requests.first else { return ([], nil) }
        do {
            return ([try store.perform(request)], nil)
        } catch {
            return ([], error)
        }
    }

    /// Takes the batch back: see the type's comment.
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }

    /// The answer, once, when there is one: the loop's hand-back and a stop that waited for
    /// it may both ask.
    func take() -> Answer? {
        condition.lock()
        defer { condition.unlock() }
        guard let answer, !taken else { return nil }
        taken = true
        return answer
    }

    /// Waits for the answer and takes it (nil if it was taken already): for a peer that is
    /// stopping, whose loop has nothing else to do.
    func waitAndTake() -> Answer? {
        condition.lock()
        while answer == nil { condition.wait() }
        condition.unlock()
        return take()
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Waits `interval` before the next try; false at once when the batch is taken back.
    private func pause(for interval: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(interval.nanoseconds) / 1e9)
        condition.lock()
        defer { condition.unlock() }
        while !cancelled {
            if !condition.wait(until: deadline) { return !cancelled }
        }
        return false
    }

    private func finish(_ answer: Answer) {
        condition.lock()
        defer { condition.unlock() }
        self.answer = answer
        condition.broadcast()
    }
}
