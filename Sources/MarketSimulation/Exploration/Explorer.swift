import MarketCore

/// Visits every state of the market reachable within the bounds, running the real
/// `Peer.step` of every peer against the in-memory store, and checks every invariant in every
/// state it reaches. States are deduplicated by a 64-bit fingerprint of the whole system
/// (hash compaction: only the fingerprint of a visited state is kept, with its parent and
/// the action that reached it, so a path can be rebuilt; two states sharing one fingerprint,
/// which is improbable at these sizes, would make one of them go unvisited). Depth-first
/// search without a depth bound keeps the fingerprint alone (`ParallelDepthFirstSearch`).
public final class Explorer {
    public struct Progress: Sendable {
        public var states: Int
        public var transitions: Int
        public var depth: Int
        public var elapsed: Duration
    }

    public let setup: ExplorationSetup
    public let bounds: ExplorationBounds
    public let search: ExplorationResult.Search
    /// Sleep sets (breadth-first, and depth-first without a depth bound among up to 4 peers:
    /// `ParallelDepthFirstSearch`): a step is not taken from a state when an independent
    /// step before it already led, in the other order, to the state it would reach. Every
    /// state is still visited, only transitions to states seen are saved. On by default: the
    /// relation is checked pair by pair against its definition in every state of small bounds
    /// with a crash, a pause and a lost message (`ExplorerIndependenceTests`), and complete
    /// searches with and without it visit the same states, judge the same states at rest and
    /// find the same violations with paths as short (`ExplorerReductionTests`).
    public var reduction = true
    /// Which steps commute in a state; apart from `ExploredSystem.independent` only for tests
    /// showing that a wrong relation loses states.
    var independence: @Sendable (ExploredSystem, ExplorationAction, ExplorationAction) -> Bool = { $0.independent($1, $2) }
    /// Depth-first search without a depth bound runs on this many threads
    /// (`ParallelDepthFirstSearch`); any other search runs on one.
    public var threads = 1
    /// Asked between states; true stops the search cleanly with what it covered.
    public var shouldStop: () -> Bool = { false }
    /// Told about once a second.
    public var onProgress: ((Progress) -> Void)?

    private var parents: [Int32] = []
    private var reachedBy: [ExplorationAction?] = []
    /// By state: the steps not to take from it (see `reduction`). A state reached again
    /// before it is expanded keeps only what every way in agrees on; one reached again after
    /// it was expanded, with fewer steps asleep, is expanded again for the steps it missed.
    private var sleeping: [SleepSet] = []
    private var result: ExplorationResult

    public init(setup: ExplorationSetup, bounds: ExplorationBounds, search: ExplorationResult.Search = .bfs) {
        self.setup = setup
        self.bounds = bounds
        self.search = search
        result = ExplorationResult(search: search)
    }

    /// A state waiting to be expanded: the state, its index in `parents` and its depth;
    /// `only`: a second expansion, taking only these steps. Its enabled steps are listed again
    /// when it is expanded rather than kept: the frontier is most of the search's memory, and
    /// listing them costs little beside taking them.
    private struct Pending {
        var system: ExploredSystem
        var index: Int32
        var depth: Int
        var only: SleepSet?
    }

    public func run() -> ExplorationResult {
        // Without a depth bound, what a state reaches depends on the state alone (fault budgets
        // and timer firings are part of it), so each is expanded once, and only fingerprints
        // need keeping. With one, a state reached again by a shorter path is expanded again
        // below: what it reaches within the bound depends on how deep it is.
        if search == .dfs, bounds.depth == nil {
            return ParallelDepthFirstSearch(setup: setup, bounds: bounds, threads: threads, reduction: reduction, independence: independence)
                .run(shouldStop: shouldStop, onProgress: onProgress)
        }
        let clock = ContinuousClock()
        let started = clock.now
        var lastReport = started
        var initial = ExploredSystem(setup)
        let sleepSets = reduction && search == .bfs
        // By fingerprint: the state's index (breadth-first) or the depth it was reached at (depth-first).
        var seen: [Fingerprint: Int] = [initial.fingerprint(): 0]
        parents = [-1]
        reachedBy = [nil]
        sleeping = sleepSets ? [.empty] : []
        result.states = 1
        var pending = [Pending(system: initial, index: 0, depth: 0)]
        judge(pending[0], enabled: initial.enabled(within: bounds))
        var head = 0
        var level = 0
        var expanded = 0
        // The highest index expanded: breadth-first, states are first expanded in index order.
        var expandedUpTo: Int32 = -1
        let count = initial.count
        // Breadth-first: a queue (read from `head`, compacted as it goes); depth-first: a stack.
        search: while result.counterexample == nil {
            let next: Pending
            switch search {
            case .bfs:
                guard head < pending.count else { break search }
                next = pending[head]
                head += 1
                if head >= 65_536, head * 2 >= pending.count {
                    pending.removeFirst(head)
                    head = 0
                }
            case .dfs:
                guard let last = pending.popLast() else { break search }
                next = last
            }
            if search == .bfs, next.depth > level {
                level = next.depth
                result.coveredDepth = level
            }
            expanded += 1
            if expanded & 255 == 0 {
                if shouldStop() {
                    result.interrupted = true
                    break search
                }
                let now = clock.now
                if now - lastReport >= .seconds(1) {
                    lastReport = now
                    onProgress?(Progress(states: result.states, transitions: result.transitions,
                                         depth: max(result.maxDepth, next.depth), elapsed: now - started))
                }
            }
            let enabled = next.system.enabled(within: bounds)
            if let limit = bounds.depth, next.depth >= limit {
                if !enabled.isEmpty, next.only == nil { result.cutByDepth += 1 }
                continue
            }
            if next.only == nil { expandedUpTo = max(expandedUpTo, next.index) }
            // Asleep here: taken from an ancestor before an independent step that led here.
            let asleep = sleepSets ? sleeping[Int(next.index)] : .empty
            var taken: [ExplorationAction] = []
            for action in enabled {
                let bit = SleepSet.bit(action, count: count)
                if SleepSet.skips(bit, asleep: asleep, only: next.only) { continue }
                var system = next.system
                let violations = system.apply(action)
                result.transitions += 1
                let fingerprint = system.fingerprint()
                let depth = next.depth + 1
                // What stays asleep after this step: what was asleep or taken before it here, and is independent of it.
                var childAsleep = SleepSet.empty
                if sleepSets {
                    for other in enabled where other != action {
                        guard let otherBit = SleepSet.bit(other, count: count),
                              asleep.contains(otherBit) || taken.contains(other),
                              independence(next.system, other, action) else { continue }
                        childAsleep.insert(otherBit)
                    }
                    taken.append(action)
                }
                // A step that breaks an invariant is a counterexample even when the state it
                // reaches was seen before (reached there by a step that broke nothing).
                if let violation = violations.first {
                    result.counterexample = .init(violation: violation, path: .init(actions: path(to: next.index).actions + [action]))
                    if seen[fingerprint] == nil { seen[fingerprint] = 0 }
                    result.maxDepth = max(result.maxDepth, depth)
                    break
                }
                if let earlier = seen[fingerprint] {
                    if sleepSets {
                        let index = earlier
                        let missed = sleeping[index].subtracting(childAsleep)
                        sleeping[index] = sleeping[index].intersection(childAsleep)
                        if Int32(index) <= expandedUpTo, !missed.isEmpty {
                            pending.append(Pending(system: system, index: Int32(index), depth: depth, only: missed))
                        }
                        continue
                    }
                    if search == .bfs || earlier <= depth { continue }
                }
                parents.append(next.index)
                reachedBy.append(action)
                let index = Int32(parents.count - 1)
                seen[fingerprint] = search == .bfs ? Int(index) : depth
                if sleepSets { sleeping.append(childAsleep) }
                let reached = Pending(system: system, index: index, depth: depth)
                result.states += 1
                result.maxDepth = max(result.maxDepth, depth)
                judge(reached, enabled: system.enabled(within: bounds))
                if result.counterexample != nil { break }
                pending.append(reached)
            }
        }
        if search == .bfs, !result.interrupted { result.coveredDepth = result.maxDepth }
        result.states = seen.count
        result.complete = result.counterexample == nil && !result.interrupted
        result.elapsed = clock.now - started
        return result
    }

    /// The properties of a state that do not come from its last step: at rest, and sometimes.
    private func judge(_ state: Pending, enabled: [ExplorationAction]) {
        let system = state.system
        if result.tradePath == nil, system.tradeCompleted { result.tradePath = path(to: state.index) }
        if result.takeoverPath == nil, system.takeoverHappened { result.takeoverPath = path(to: state.index) }
        guard system.isTerminal(enabled) else { return }
        result.terminalStates += 1
        guard !system.cutShort(within: bounds) else { return }
        result.judgedTerminalStates += 1
        var atTheBound = false
        if let violation = system.restViolations(within: bounds, atTheBound: &atTheBound).first {
            result.counterexample = .init(violation: violation, path: path(to: state.index))
        }
        if atTheBound { result.mendedPastTheBound += 1 }
    }

    private func path(to index: Int32) -> ExplorationResult.Path {
        var actions: [ExplorationAction] = []
        var at = index
        while at > 0 {
            actions.append(reachedBy[Int(at)]!)
            at = parents[Int(at)]
        }
        return .init(actions: actions.reversed())
    }
}
