import MarketCore

/// A message sent on a replayed path: the step that sent it and what became of it, so the
/// path can be drawn as a space-time diagram.
public struct PathMessage: Hashable, Sendable {
    public enum Fate: Hashable, Sendable {
        /// Taken in by the receiver at step `step`, its clock then at `clock`.
        case delivered(step: Int, clock: UInt64)
        /// Lost on the link (a `drop` step).
        case dropped(step: Int)
        /// Gone with the receiver's connections when it crashed.
        case lostInCrash(step: Int)
        /// Still on the link when the path ends.
        case inFlight
    }

    public var from: PeerID
    public var to: PeerID
    public var envelope: Envelope
    /// 0: sent while the market started, before the first step.
    public var sentAt: Int
    public var fate: Fate

    /// Follows every link's queue across the steps of a path: what a step appended to a link
    /// was sent by it, what it took off the head was delivered (the link it delivered on) or
    /// lost (a drop, a crash).
    struct Tracker {
        private(set) var messages: [PathMessage] = []
        /// Per link, the index in `messages` of each item on it (nil: a close, not a message).
        private var onLink: [[Int?]]

        init(_ system: ExploredSystem) {
            onLink = Array(repeating: [], count: system.links.count)
            record(step: 0, action: nil, before: Array(repeating: [], count: system.links.count), after: system)
        }

        mutating func record(step: Int, action: ExplorationAction?, before: [[ExploredSystem.LinkItem]], after system: ExploredSystem) {
            for index in system.links.indices {
                let old = before[index]
                let new = system.links[index]
                guard old != new else { continue }
                // The head taken off, then the tail appended: the longest rest of `old` that `new` starts with.
                let removed = (0...old.count).first { removed in
                    let kept = old.count - removed
                    return new.count >= kept && new.prefix(kept).elementsEqual(old.dropFirst(removed))
                } ?? old.count
                let (from, to) = (index / system.count, index % system.count)
                for (position, tracked) in onLink[index].prefix(removed).enumerated() {
                    guard let tracked else { continue }
                    messages[tracked].fate = switch action {
                    case .deliver(from, to)? where position == 0:
                        .delivered(step: step, clock: system.nodes[to].peer?.clock.time ?? 0)
                    case .drop(from, to)? where position == 0: .dropped(step: step)
                    default: .lostInCrash(step: step)
                    }
                }
                onLink[index].removeFirst(removed)
                for item in new.dropFirst(old.count - removed) {
                    if case .message(let envelope) = item {
                        onLink[index].append(messages.count)
                        messages.append(PathMessage(from: from, to: to, envelope: envelope, sentAt: step, fate: .inFlight))
                    } else {
                        onLink[index].append(nil)
                    }
                }
            }
        }
    }
}
