import Foundation

/// State that other threads change and the test's thread waits on: every change wakes the
/// waiter, which looks again; the deadline is only a safety net.
public final class Watched<State>: @unchecked Sendable {
    private let condition = NSCondition()
    private var state: State

    public init(_ state: State) {
        self.state = state
    }

    public func update<T>(_ change: (inout State) throws -> T) rethrows -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try change(&state)
    }

    public var value: State {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    /// Waits until `ready` holds; false when `seconds` passed first.
    public func wait(seconds: TimeInterval = 30, until ready: (State) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !ready(state) {
            if !condition.wait(until: deadline) { return ready(state) }
        }
        return true
    }
}
