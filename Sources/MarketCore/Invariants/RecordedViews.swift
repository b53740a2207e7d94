/// The views traders recorded (`ViewChange`), admitted in the order they were written: in each
/// epoch numbered 0, 1, 2, … by one trader, view 0 changing nothing, each later one changing
/// something, and its members exactly those of the view before less the dropped plus the
/// readmitted — a view's members are only those its rows say. Then `view(of:seq:)` names the
/// view a decision was made in, so the order can be checked per view (`DecisionOrder`).
public struct RecordedViews: Sendable {
    private var byEpoch: [Epoch: [ViewChange]] = [:]

    public init() {}

    public var isEmpty: Bool { byEpoch.isEmpty }

    public mutating func admit(_ change: ViewChange) -> [Violation] {
        var details: [String] = []
        let name = "epoch \(change.epoch) view \(change.view)"
        if change.members.contains(change.trader) {
            details.append("\(name) has its own trader P\(change.trader) among the buyers it waits for")
        }
        if let previous = byEpoch[change.epoch]?.last {
            if change.view != previous.view + 1 {
                details.append("\(name) follows view \(previous.view)")
            }
            if change.trader != previous.trader {
                details.append("\(name) is P\(change.trader)'s, view \(previous.view) was P\(previous.trader)'s")
            }
            if change.firstSeq < previous.firstSeq {
                details.append("\(name) begins at decision \(change.firstSeq), before view \(previous.view) did (\(previous.firstSeq))")
            }
            let before = Set(previous.members)
            let strays = change.dropped.filter { !before.contains($0) }
            if !strays.isEmpty {
                details.append("\(name) drops \(Self.names(strays)), not members of view \(previous.view)")
            }
            let already = change.readmitted.filter { before.contains($0) }
            if !already.isEmpty {
                details.append("\(name) readmits \(Self.names(already)), members of view \(previous.view) already")
            }
            if change.dropped.isEmpty, change.readmitted.isEmpty {
                details.append("\(name) changes nothing from view \(previous.view)")
            }
            let expected = before.subtracting(change.dropped).union(change.readmitted)
            if Set(change.members) != expected {
                details.append("""
                    \(name) has members \(Self.names(change.members)); view \(previous.view)'s \
                    \(Self.names(previous.members)) with its changes are \(Self.names(expected.sorted()))
                    """)
            }
        } else if change.view != 0 || !change.dropped.isEmpty || !change.readmitted.isEmpty {
            details.append("\(name) is the first of its epoch: it must be view 0, dropping and readmitting no one")
        }
        byEpoch[change.epoch, default: []].append(change)
        return details.map { Violation(.views, $0) }
    }

    /// The view of `epoch` a decision numbered `seq` was made in: the latest that began at or
    /// before it. Nil when none did (a decision outside every recorded view).
    public func view(of epoch: Epoch, seq: Int) -> Int? {
        byEpoch[epoch]?.last { $0.firstSeq <= seq }?.view
    }

    /// Places a decision in its view; a violation if it is in none.
    public func stamp(_ stamp: DecisionStamp) -> (DecisionStamp, Violation?) {
        guard let view = view(of: stamp.epoch, seq: stamp.seq) else {
            return (stamp, Violation(.views, "decision \(stamp.seq) (\(stamp.request)) of epoch \(stamp.epoch) is in no recorded view"))
        }
        var placed = stamp
        placed.view = view
        return (placed, nil)
    }

    private static func names(_ peers: [PeerID]) -> String {
        peers.isEmpty ? "none" : peers.map { "P\($0)" }.joined(separator: " ")
    }
}
