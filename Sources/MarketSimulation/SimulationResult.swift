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
    /// Requests a trader's batch named that another trader had decided first: the store
    /// answered them with the recorded decision (a first copy of a multicast that reached a
    /// new trader late; `Peer.committed`).
    public var alreadyDecided = 0
    public var faults = 0
    public var virtualTime: Duration = .zero
    /// Envelopes the peers sent, by message kind.
    public var messages: [String: Int] = [:]
    public var failure: SimulationFailure?

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
