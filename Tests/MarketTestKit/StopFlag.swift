import Foundation

/// A flag one thread raises and others look at: "stop now".
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    public init() {}

    public func set() { lock.withLock { raised = true } }
    public var isSet: Bool { lock.withLock { raised } }
}
