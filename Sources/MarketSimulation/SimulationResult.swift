import MarketCore

/// What one seed of one scenario came to.
@dynamicMemberLookup
public struct SimulationResult: Hashable, Sendable {
    public var scenario: String
    public var seed: UInt64
    public var counts = RunCounts()
    public var failure: SimulationFailure?

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<RunCounts, T>) -> T {
        get { counts[keyPath: keyPath] }
        set { counts[keyPath: keyPath] = newValue }
    }

    public var passed: Bool { failure == nil }
}

/// The first invariant that failed, when, and the last events before it, so the seed can be
/// replayed.
public struct SimulationFailure: Hashable, Sendable, CustomStringConvertible {
    public var violation: Violation
    public var at: Duration
    public var trace: [String]

    public var kind: Violation.Kind { violation.kind }

    public var description: String { "\(violation.kind.rawValue): \(violation.detail) (at \(Simulation.format(at)))" }
}
