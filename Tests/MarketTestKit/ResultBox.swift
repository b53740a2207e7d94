import Foundation

/// A box for a result computed on another thread.
public final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<T, any Error>?

    public init() {}

    public func set(_ result: Result<T, any Error>) { lock.withLock { stored = result } }
    public var value: Result<T, any Error>? { lock.withLock { stored } }
}
