import MarketCore

/// Which steps commute: the independence relation the explorer's sleep sets rely on.
///
/// Two steps enabled in one state are independent when neither disables the other and both
/// orders reach the same state, every invariant checked on the way judging each step alike.
/// What each step touches:
/// - a step of peer P (a delivery to it, a store answer read by it): P's node, the head of
///   one link into P, the tails of links out of P (what it sends; a close note on a link into
///   P when it dials a peer that is down), and it reads `now`, whether the peers it dials are
///   up and, for the backed-belief check, the store's epoch;
/// - `runStore(P)`: the store, the head of P's requests and the tail of P's answers;
/// - `crash(P)`: P's node, every link into P (emptied) and the tails of links out of P (the
///   close note), and the crash budget; `pause(P)`: P's node and the pause budget; `drop`
///   of a link into P: the head of that link and the drop budget;
/// - a timer, a restart, a resume: `now`, and they are enabled only when nothing is in
///   flight, which almost every step changes.
/// A FIFO link's head and tail commute while it holds something (both steps are enabled,
/// so it does), which is why a delivery to P and a send by another peer to P do not
/// conflict. So these pairs are dependent, and every other pair is independent:
/// - anything with a timer, a restart or a resume;
/// - two steps drawn from one budget (two crashes, two pauses, two drops);
/// - two steps of the same peer (a drop counts as its receiver's);
/// - two store runs;
/// - a store run that raises the store's epoch (a claim) with a step of another peer,
///   whose backed-belief check reads that epoch;
/// - a crash of Q with a delivery of Q's close note to another peer (the note is read only
///   while Q is down).
extension ExploredSystem {
    /// `a` and `b` are enabled in this state; true when they commute in it.
    func independent(_ a: ExplorationAction, _ b: ExplorationAction) -> Bool {
        guard let first = owner(a), let second = owner(b), first != second else { return false }
        switch (a, b) {
        case (.crash, .crash), (.pause, .pause), (.drop, .drop), (.runStore, .runStore): return false
        default: break
        }
        return !readsWhatChanges(a, b) && !readsWhatChanges(b, a)
    }

    /// The peer whose node a step changes (a drop: its receiver's link); nil: a step that is
    /// dependent on every other.
    private func owner(_ action: ExplorationAction) -> PeerID? {
        switch action {
        case .fire, .restart, .resume, .pause: nil
        case .drop(_, let to): to
        default: action.actor
        }
    }

    /// `reader` reads what `writer`, a step of another peer, changes.
    private func readsWhatChanges(_ reader: ExplorationAction, _ writer: ExplorationAction) -> Bool {
        switch (reader, writer) {
        case (.deliver, .runStore(let id)), (.storeResult, .runStore(let id)):
            if case .claimEpoch? = nodes[id].storeRequests.first { return true }
            return false
        case (.deliver(let from, let to), .crash):
            if case .gone? = links[link(from, to)].first { return true }
            return false
        default:
            return false
        }
    }
}

/// A set of steps (those that can be independent of another: deliveries, drops, store runs
/// and answers, crashes, pauses) as bits, for up to 8 peers.
struct SleepSet: Hashable, Sendable {
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)

    static let empty = SleepSet()

    /// The bit of `action` among `count` peers; nil: a step never put to sleep.
    static func bit(_ action: ExplorationAction, count: Int) -> Int? {
        let square = count * count
        switch action {
        case .deliver(let from, let to): return from * count + to
        case .drop(let from, let to): return square + from * count + to
        case .runStore(let id): return 2 * square + id
        case .storeResult(let id): return 2 * square + count + id
        case .crash(let id): return 2 * square + 2 * count + id
        case .pause(let id): return 2 * square + 3 * count + id
        case .fire, .restart, .resume: return nil
        }
    }

    /// Whether a step with `bit` is left out of a state's expansion: asleep there, or, when the
    /// state is expanded again for the steps it missed (`only`), not one of them.
    static func skips(_ bit: Int?, asleep: SleepSet, only: SleepSet?) -> Bool {
        guard let bit else { return only != nil }
        if let only { return !only.contains(bit) }
        return asleep.contains(bit)
    }

    func contains(_ bit: Int) -> Bool {
        switch bit >> 6 {
        case 0: words.0 & (1 << UInt64(bit & 63)) != 0
        case 1: words.1 & (1 << UInt64(bit & 63)) != 0
        default: words.2 & (1 << UInt64(bit & 63)) != 0
        }
    }

    mutating func insert(_ bit: Int) {
        switch bit >> 6 {
        case 0: words.0 |= 1 << UInt64(bit & 63)
        case 1: words.1 |= 1 << UInt64(bit & 63)
        default: words.2 |= 1 << UInt64(bit & 63)
        }
    }

    func intersection(_ other: SleepSet) -> SleepSet {
        var result = self
        result.words = (words.0 & other.words.0, words.1 & other.words.1, words.2 & other.words.2)
        return result
    }

    /// What is in this set and not in `other`.
    func subtracting(_ other: SleepSet) -> SleepSet {
        var result = self
        result.words = (words.0 & ~other.words.0, words.1 & ~other.words.1, words.2 & ~other.words.2)
        return result
    }

    var isEmpty: Bool { words == (0, 0, 0) }

    /// Every step of `count` peers has a bit below 63 (up to 4 peers: 48 bits), so a set fits
    /// in one word with its top bit free (`packed`).
    static func fitsOneWord(count: Int) -> Bool { 2 * count * count + 4 * count <= 63 }

    /// The set as one word, for sets of peers that `fitsOneWord`.
    var packed: UInt64 { words.0 }

    init(packed: UInt64) {
        words = (packed, 0, 0)
    }

    private init() {}

    static func == (lhs: SleepSet, rhs: SleepSet) -> Bool { lhs.words == rhs.words }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
    }
}
