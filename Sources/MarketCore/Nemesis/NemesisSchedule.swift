/// Which nemesis acts, and how often: `--nemesis KIND[,KIND…] --nemesis-interval SECONDS`.
public struct NemesisPlan: Hashable, Sendable {
    public var kinds: [NemesisKind]
    /// An action lasts this long, and so does the calm after its heal.
    public var interval: Duration
    /// Actions before the nemesis heals for good (nil: until the run ends).
    public var actions: Int?

    public static let defaultInterval: Duration = .seconds(5)

    public init(kinds: [NemesisKind], interval: Duration = defaultInterval, actions: Int? = nil) {
        self.kinds = kinds
        self.interval = interval
        self.actions = actions
    }
}

/// One step of a nemesis schedule, at a time counted from the run's start.
public struct NemesisStep: Hashable, Sendable {
    public enum Action: Hashable, Sendable {
        /// These links are cut from now on, instead of any cut before.
        case cut(NemesisCut)
        /// Whoever is trader now is cut off from every other peer: only the executor knows
        /// who that is (`NemesisCut.isolating`).
        case isolateTrader
        /// Every link is up again.
        case heal
    }

    public var at: Duration
    public var action: Action

    public init(at: Duration, action: Action) {
        self.at = at
        self.action = action
    }
}

/// The nemesis's actions from a seed, one at a time, each followed by a heal: an action at
/// `interval`, its heal at `2 × interval`, the next action at `3 × interval`, and so on. A
/// `flaky` action draws a new set of cut links four times within its interval. Pure: the same
/// seed, peers and plan give the same steps, in the simulator and in a real run alike.
public struct NemesisSchedule: Sendable {
    public let plan: NemesisPlan
    public let peers: [PeerID]
    private var random: SplitMix64
    private var pending: [NemesisStep] = []
    private var actionsDrawn = 0
    /// When the next action starts.
    private var nextAction: Duration

    /// A flaky action's cut sets, one every quarter of its interval.
    static let flakyChanges = 4
    /// A flaky link is cut with this chance at each change.
    static let flakyCutChance = 0.3

    public init(plan: NemesisPlan, peers: [PeerID], seed: UInt64) {
        self.plan = plan
        self.peers = peers.sorted()
        random = SplitMix64.derive(seed, 0x4E3E)
        nextAction = plan.interval
    }

    /// The next step, or nil once the plan's actions are done (and healed).
    public mutating func next() -> NemesisStep? {
        if pending.isEmpty { drawAction() }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    /// Every step that starts before `end`.
    public mutating func steps(before end: Duration) -> [NemesisStep] {
        var steps: [NemesisStep] = []
        while let step = next(), step.at < end { steps.append(step) }
        return steps
    }

    private mutating func drawAction() {
        guard !plan.kinds.isEmpty, plan.interval > .zero, plan.actions.map({ actionsDrawn < $0 }) ?? true else { return }
        actionsDrawn += 1
        let start = nextAction
        nextAction = start + plan.interval * 2
        let kind = plan.kinds[Int(random.next() % UInt64(plan.kinds.count))]
        switch kind {
        case .isolateTrader:
            pending.append(NemesisStep(at: start, action: .isolateTrader))
        case .flaky:
            for change in 0..<Self.flakyChanges {
                pending.append(NemesisStep(at: start + plan.interval * change / Self.flakyChanges, action: .cut(flaky())))
            }
        case .partition, .oneWay, .bridge:
            pending.append(NemesisStep(at: start, action: .cut(halves(kind))))
        }
        pending.append(NemesisStep(at: start + plan.interval, action: .heal))
    }

    private mutating func shuffled() -> [PeerID] {
        var order = peers
        order.shuffle(using: &random)
        return order
    }

    /// Two random halves (the first has the extra peer of an odd count), or for a bridge two
    /// sides that both hold one peer.
    private mutating func halves(_ kind: NemesisKind) -> NemesisCut {
        let order = shuffled()
        guard order.count >= (kind == .bridge ? 3 : 2) else { return NemesisCut(kind: kind, groups: [order], links: []) }
        if kind == .bridge {
            let bridge = order[0]
            let rest = order.dropFirst()
            let split = rest.startIndex + (rest.count + 1) / 2
            let one = (Array(rest[..<split]) + [bridge]).sorted()
            let other = (Array(rest[split...]) + [bridge]).sorted()
            return NemesisCut(kind: kind, groups: [one, other], links: NemesisCut.between(one, other, bothWays: true))
        }
        let split = (order.count + 1) / 2
        let one = Array(order[..<split]).sorted()
        let other = Array(order[split...]).sorted()
        return NemesisCut(kind: kind, groups: [one, other], links: NemesisCut.between(one, other, bothWays: kind == .partition))
    }

    /// Each pair of peers cut both ways with `flakyCutChance`; the groups are the pairs.
    private mutating func flaky() -> NemesisCut {
        var links: Set<DirectedLink> = []
        var pairs: [[PeerID]] = []
        for (index, a) in peers.enumerated() {
            for b in peers[(index + 1)...] where random.chance(Self.flakyCutChance) {
                links.insert(DirectedLink(a, b))
                links.insert(DirectedLink(b, a))
                pairs.append([a, b])
            }
        }
        return NemesisCut(kind: .flaky, groups: pairs, links: links)
    }
}

extension NemesisCut {
    /// `trader` alone on one side, every other peer on the other; nobody isolated when no
    /// trader is known.
    public static func isolating(_ trader: PeerID?, among peers: [PeerID]) -> NemesisCut {
        guard let trader, peers.contains(trader) else { return NemesisCut(kind: .isolateTrader, groups: [], links: []) }
        let others = peers.filter { $0 != trader }.sorted()
        return NemesisCut(kind: .isolateTrader, groups: [[trader], others],
                          links: between([trader], others, bothWays: true))
    }
}
