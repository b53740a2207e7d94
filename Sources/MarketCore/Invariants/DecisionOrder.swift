/// A decision as the order invariants see it: which request, its place in Lamport's order,
/// and when it was decided (the trader's epoch and the run-wide decision sequence).
public struct DecisionStamp: Hashable, Sendable {
    public var request: RequestID
    public var key: OrderKey
    public var epoch: Epoch
    public var seq: Int

    public init(request: RequestID, key: OrderKey, epoch: Epoch, seq: Int) {
        self.request = request
        self.key = key
        self.epoch = epoch
        self.seq = seq
    }

    public init(_ decision: Decision) {
        self.init(request: decision.request.id, key: decision.request.orderKey, epoch: decision.epoch, seq: decision.seq)
    }
}

/// Decisions in the order they were made: within one epoch in `(lamport_ts, buyer_id)` order
/// (Lamport's total order, which stability is there to guarantee), and never back to an
/// older epoch (fencing keeps a deposed trader's decisions out).
public struct DecisionOrder: Sendable {
    private var lastInEpoch: [Epoch: DecisionStamp] = [:]
    private var epochs = EpochsOnlyAdvance()

    public init() {}

    public mutating func admit(_ decision: DecisionStamp) -> [Violation] {
        var violations: [Violation] = []
        if let last = lastInEpoch[decision.epoch], !(last.key < decision.key) {
            violations.append(Violation(.lamportOrder, """
                epoch \(decision.epoch): decision \(decision.seq) \(decision.request) \(decision.key) \
                comes after decision \(last.seq) \(last.request) \(last.key)
                """))
        }
        lastInEpoch[decision.epoch] = decision
        violations += epochs.admit(decision.epoch, "decision \(decision.seq) (\(decision.request))").map { [$0] } ?? []
        return violations
    }
}

/// A sequence of things, each of an epoch, that must never go back to an older epoch.
public struct EpochsOnlyAdvance: Sendable {
    private var newest: (epoch: Epoch, what: String)?

    public init() {}

    /// `what` names the thing ("trade 7") in the violation.
    public mutating func admit(_ epoch: Epoch, _ what: String) -> Violation? {
        defer { if epoch > newest?.epoch ?? Epoch.min { newest = (epoch, what) } }
        guard let newest, epoch < newest.epoch else { return nil }
        return Violation(.epochsOnlyAdvance, "\(what) is of epoch \(epoch), after \(newest.what) of epoch \(newest.epoch)")
    }
}

/// No request is decided twice.
public struct DecidedOnce: Sendable {
    private var decided: [RequestID: String] = [:]

    public init() {}

    /// `what` names the decision ("trade 99", "epoch 3") in the violation.
    public mutating func admit(_ request: RequestID, _ what: String) -> Violation? {
        if let first = decided[request] {
            return Violation(.decidedOnce, "\(request) decided a second time (\(what); first \(first))")
        }
        decided[request] = what
        return nil
    }
}
