import MarketCore

/// What one seed of one scenario came to.
public struct SimulationResult: Hashable, Sendable {
    public var scenario: String
    public var seed: UInt64
    public var events = 0
    public var elections = 0
    /// Requests received under one epoch and decided under a later one.
    public var takeovers = 0
    public var decisions = 0
    public var faults = 0
    public var virtualTime: Duration = .zero
    /// Envelopes the peers sent, by message kind.
    public var messages: [String: Int] = [:]
    public var violation: Violation?

    public var passed: Bool { violation == nil }
}

/// An invariant that failed, with the last events before it, so the seed can be replayed.
public struct Violation: Hashable, Sendable, CustomStringConvertible {
    public var invariant: String
    public var detail: String
    public var at: Duration
    public var trace: [String]

    public var description: String { "\(invariant): \(detail) (at \(Simulation.format(at)))" }
}
