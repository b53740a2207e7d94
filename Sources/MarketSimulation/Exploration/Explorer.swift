import MarketCore

/// Visits every state of the market reachable within the bounds, running the real
/// `Peer.step` of every peer against the in-memory store, and checks every invariant in every
/// state it reaches. States are deduplicated by a 64-bit fingerprint of the whole system
/// (hash compaction: only the fingerprint of a visited state is kept, with its parent and
/// the action that reached it, so a path can be rebuilt; two states sharing one fingerprint,
/// which is improbable at these sizes, would make one of them go unvisited).
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
    /// Asked between states; true stops the search cleanly with what it covered.
    public var shouldStop: () -> Bool = { false }
    /// Told about once a second.
    public var onProgress: ((Progress) -> Void)?

    private var parents: [Int32] = []
    private var reachedBy: [ExplorationAction?] = []
    private var result: ExplorationResult

    public init(setup: ExplorationSetup, bounds: ExplorationBounds, search: ExplorationResult.Search = .bfs) {
        self.setup = setup
        self.bounds = bounds
        self.search = search
        result = ExplorationResult(search: search)
    }

    /// A state waiting to be expanded: the state, its index in `parents`, its depth, and its
    /// enabled actions (computed once, when it was reached).
    private struct Pending {
        var system: ExploredSystem
        var index: Int32
        var depth: Int
        var enabled: [ExplorationAction]
    }

    public func run() -> ExplorationResult {
        let clock = ContinuousClock()
        let started = clock.now
        var lastReport = started
        var initial = ExploredSystem(setup)
        var seen: [Fingerprint: Int] = [initial.fingerprint(): 0]
        parents = [-1]
        reachedBy = [nil]
        result.states = 1
        var pending = [Pending(system: initial, index: 0, depth: 0, enabled: initial.enabled(within: bounds))]
        judge(pending[0])
        var head = 0
        var level = 0
        var expanded = 0
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
            if let limit = bounds.depth, next.depth >= limit {
                if !next.enabled.isEmpty { result.cutByDepth += 1 }
                continue
            }
            for action in next.enabled {
                var system = next.system
                let violations = system.apply(action)
                result.transitions += 1
                let fingerprint = system.fingerprint()
                let depth = next.depth + 1
                if let earlier = seen[fingerprint], search == .bfs || earlier <= depth { continue }
                seen[fingerprint] = depth
                parents.append(next.index)
                reachedBy.append(action)
                let reached = Pending(system: system, index: Int32(parents.count - 1), depth: depth,
                                      enabled: system.enabled(within: bounds))
                result.states += 1
                result.maxDepth = max(result.maxDepth, depth)
                if let violation = violations.first {
                    result.counterexample = .init(violation: violation, path: path(to: reached.index))
                    break
                }
                judge(reached)
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
    private func judge(_ state: Pending) {
        let system = state.system
        if result.tradePath == nil, system.tradeCompleted { result.tradePath = path(to: state.index) }
        if result.takeoverPath == nil, system.takeoverHappened { result.takeoverPath = path(to: state.index) }
        guard system.isTerminal(state.enabled) else { return }
        result.terminalStates += 1
        guard !system.cutShort(within: bounds) else { return }
        result.judgedTerminalStates += 1
        if let violation = system.restViolations().first {
            result.counterexample = .init(violation: violation, path: path(to: state.index))
        }
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
