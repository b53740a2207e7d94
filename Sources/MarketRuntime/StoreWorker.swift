#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One thread that runs a peer's store calls, one at a time, in the order they were handed
/// over, so the event loop never waits for the database (a commit's fsync, another
/// connection's lock, a server's round trip) and the store's connection is only ever used by
/// one thread at a time. The thread sleeps on a condition until there is work: a hand-off
/// costs a wake-up, not a polling interval.
final class StoreWorker: @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    private var closing = false
    private var thread: pthread_t?

    private init() {}

    /// Starts the thread.
    static func start() throws(CannotCreateThread) -> StoreWorker {
        let worker = StoreWorker()
        worker.thread = try startThread(purpose: "store") { worker.work() }
        return worker
    }

    /// The worker was shut down: nothing runs on it any more.
    struct ShutDown: Error, CustomStringConvertible {
        var description: String { "the store thread has ended" }
    }

    /// Runs `job` on the worker's thread after every job handed over before it; false, and
    /// `job` never runs, once the worker is shut down.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Runs `body` on the worker's thread after every job handed over before it, and waits
    /// for it: for a peer that is stopping, whose loop has nothing else to do.
    func sync<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let answer = HandedOver<Result<T, any Error>>()
        guard submit({ answer.set(Result { try body() }) }) else { throw ShutDown() }
        return try answer.wait().get()
    }

    /// Runs the jobs already handed over, then ends the thread and waits for it.
    func shutdown() {
        condition.lock()
        closing = true
        condition.signal()
        condition.unlock()
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func work() {
        while let job = next() { job() }
    }

    private func next() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count {
            if closing { return nil }
            condition.wait()
        }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
    }
}

/// A value another thread hands over once, and a thread that waits for it.
final class HandedOver<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value?

    func set(_ value: Value) {
        condition.lock()
        defer { condition.unlock() }
        self.value = value
        condition.broadcast()
    }

    func wait() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}
