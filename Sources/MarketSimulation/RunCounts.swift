/// What the simulator counts in a run: one seed's (`SimulationResult`) or, added up, a sweep
/// slot's (`SeedSweep.Summary`); both read these as their own fields.
public struct RunCounts: Hashable, Sendable {
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
    /// Nemesis steps that cut links (heals not counted; each of a flaky action's four draws is one).
    public var nemesisActions = 0
    /// Frames lost to a cut link.
    public var dropped = 0
    /// Transmissions lost to `--loss` and sent again (each shows up as delay).
    public var retransmitted = 0
    /// Envelopes the peers sent, by message kind.
    public var messages: [String: Int] = [:]

    public init() {}

    /// Sums a sweep: every count, the virtual time and the envelopes of each kind.
    public mutating func add(_ other: RunCounts) {
        events += other.events
        elections += other.elections
        takeovers += other.takeovers
        decisions += other.decisions
        alreadyDecided += other.alreadyDecided
        faults += other.faults
        nemesisActions += other.nemesisActions
        dropped += other.dropped
        retransmitted += other.retransmitted
        virtualTime += other.virtualTime
        messages.merge(other.messages, uniquingKeysWith: +)
    }
}
