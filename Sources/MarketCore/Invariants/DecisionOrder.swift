/// A decision as the order invariants see it: which request, its place in Lamport's order,
/// and when it was decided (the trader's epoch, its view in that epoch, and the run-wide
/// decision sequence).
public struct DecisionStamp: Hashable, Sendable {
    public var request: RequestID
    public var key: OrderKey
    public var epoch: Epoch
    public var seq: Int
    /// The view of its epoch it was decided in (`RecordedViews.view(of:)`).
    public var view: Int

    public init(request: RequestID, key: OrderKey, epoch: Epoch, seq: Int, view: Int = 0) {
        self.request = request
        self.key = key
        self.epoch = epoch
        self.seq = seq
        self.view = view
    }

    public init(_ decision: Decision, view: Int = 0) {
        self.init(request: decision.request.id, key: decision.request.orderKey, epoch: decision.epoch, seq: decision.seq, view: view)
    }
}

/// Decisions in the order they were made: within each view of an epoch in `(lamport_ts,
/// buyer_id)` order (Lamport's total order among the buyers the trader waited for, which
/// stability is there to guarantee), each view's first after the last of the view before, and
/// never back to an older epoch (fencing keeps a deposed trader's decisions out).
///
/// The rule across views is readmission's: a buyer dropped from a view may have stamped a
/// request below what was decided without it, and the trader cannot order that request before
/// decisions already made. It sends it back to be stamped again (`Message.restamp`), so once
/// its buyer is readmitted it is ordered after everything decided while the buyer was out, as
/// it would have been had it arrived then: it could not have been stable before them.
public struct DecisionOrder: Sendable {
    private var lastInEpoch: [Epoch: DecisionStamp] = [:]
    private var epochs = EpochsOnlyAdvance()

    public init() {}

    public mutating func admit(_ decision: DecisionStamp) -> [Violation] {
        var violations: [Violation] = []
        if let last = lastInEpoch[decision.epoch], !(last.key < decision.key) {
            if last.view == decision.view {
                violations.append(Violation(.lamportOrder, """
                    epoch \(decision.epoch) view \(decision.view): decision \(decision.seq) \(decision.request) \(decision.key) \
                    comes after decision \(last.seq) \(last.request) \(last.key)
                    """))
            } else {
                violations.append(Violation(.lamportOrder, """
                    epoch \(decision.epoch): decision \(decision.seq) \(decision.request) \(decision.key), the first of view \
                    \(decision.view), is ordered before decision \(last.seq) \(last.request) \(last.key) of view \(last.view) \
                    (a request stamped while its buyer was out of the view is stamped again)
                    """))
            }
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
