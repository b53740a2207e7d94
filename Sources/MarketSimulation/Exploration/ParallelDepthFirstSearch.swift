import Foundation
import MarketCore
import Synchronization

/// Depth-first search on several threads, with no depth bound: each thread takes states from a
/// stack of its own, and a visited set of 64-bit fingerprints (sharded, each shard under its own
/// lock) makes every state expanded once, by whichever thread reached it first. A thread that
/// runs out of states waits; a busy one, seeing it wait, hands it the bottom half of its stack
/// (the shallowest states, the largest subtrees).
///
/// Sleep sets (`Explorer.reduction`, up to 4 peers, whose sets fit in one word kept beside the
/// fingerprint) work as in breadth-first search: a step is not taken from a state when an
/// independent step taken before it from an ancestor already led, in the other order, to the
/// state it would reach. A state reached again keeps in its sleep set only what every way in
/// agrees on; if it was expanded already (a flag beside the set, set under the shard's lock
/// when a thread starts expanding it), the steps it then left asleep and the new way in does
/// not are taken from it again. Every state is still visited.
///
/// Without sleep sets, counts do not depend on which thread expanded what: a state's successors
/// depend on the state alone, so a complete search visits the reachable states, takes every
/// enabled step of each once (transitions: their sum), and judges each state at rest once.
/// With sleep sets the states and the states at rest are still the same on any number of
/// threads, but which steps sleep depends on which way into a state came first, so on two
/// threads the transitions vary from run to run (on one they do not). What also depends on
/// the threads' timing: the deepest path followed (`maxDepth`), the paths to the first trade
/// and takeover, and which violation is reported when there are several; none of them is a
/// shortest path anyway (breadth-first search gives those).
final class ParallelDepthFirstSearch: Sendable {
    let setup: ExplorationSetup
    let bounds: ExplorationBounds
    let threads: Int
    let sleepSets: Bool
    let independence: @Sendable (ExploredSystem, ExplorationAction, ExplorationAction) -> Bool

    init(setup: ExplorationSetup, bounds: ExplorationBounds, threads: Int, reduction: Bool,
         independence: @escaping @Sendable (ExploredSystem, ExplorationAction, ExplorationAction) -> Bool) {
        precondition(bounds.depth == nil, "with a depth bound, depth-first search revisits states, in an order threads do not fix")
        self.setup = setup
        self.bounds = bounds
        self.threads = max(1, threads)
        sleepSets = reduction && SleepSet.fitsOneWord(count: setup.scenario.peers.count)
        self.independence = independence
    }

    /// The path to a state, kept only while the state or a descendant is on some stack.
    final class Trail: Sendable {
        let action: ExplorationAction
        let parent: Trail?

        init(_ action: ExplorationAction, after parent: Trail?) {
            self.action = action
            self.parent = parent
        }

        static func path(_ trail: Trail?) -> ExplorationResult.Path {
            var actions: [ExplorationAction] = []
            var at = trail
            while let step = at {
                actions.append(step.action)
                at = step.parent
            }
            return .init(actions: actions.reversed())
        }
    }

    /// A state waiting on a stack, with its enabled steps (listed once, when it was judged).
    /// Unchecked: the store a state holds is shared with others, but no step writes a shared
    /// one (`ExploredSystem.apply` copies it first), and the nodes are immutable boxes.
    struct Pending: @unchecked Sendable {
        var system: ExploredSystem
        var enabled: [ExplorationAction]
        var trail: Trail?
        var depth: Int
        var fingerprint: Int
        /// A second expansion, taking only these steps (see the type's comment).
        var only: SleepSet? = nil
    }

    /// What one thread counted and found.
    struct Tally: Sendable {
        var transitions = 0
        var maxDepth = 0
        var terminalStates = 0
        var judgedTerminalStates = 0
        var mendedPastTheBound = 0
        var tradePath: ExplorationResult.Path?
        var takeoverPath: ExplorationResult.Path?
    }

    /// The fingerprints of visited states, each with its sleep set and whether a thread has
    /// started expanding it (the top bit), in shards so that threads seldom wait on each other.
    final class Visited: Sendable {
        final class Shard: Sendable {
            let states = Mutex<[Int: UInt64]>([:])
        }

        static let expanded: UInt64 = 1 << 63
        private let shards = (0..<64).map { _ in Shard() }

        private func shard(_ fingerprint: Int) -> Shard {
            shards[Int(UInt(bitPattern: fingerprint) & 63)]
        }

        /// A state reached with `asleep`: nil when it had not been visited (it is now); else the
        /// steps to take from it again, and its sleep set keeps only what both ways agree on.
        func reach(_ fingerprint: Int, asleep: SleepSet) -> SleepSet? {
            shard(fingerprint).states.withLock { states -> SleepSet? in
                guard let kept = states[fingerprint] else {
                    states[fingerprint] = asleep.packed
                    return nil
                }
                let sleeping = kept & ~Self.expanded
                let agreed = sleeping & asleep.packed
                if agreed != sleeping { states[fingerprint] = agreed | (kept & Self.expanded) }
                return SleepSet(packed: kept & Self.expanded != 0 ? sleeping & ~asleep.packed : 0)
            }
        }

        /// The state's sleep set, marking it expanded when `expanding`.
        func asleep(_ fingerprint: Int, expanding: Bool) -> SleepSet {
            shard(fingerprint).states.withLock { states in
                let kept = states[fingerprint] ?? 0
                if expanding { states[fingerprint] = kept | Self.expanded }
                return SleepSet(packed: kept & ~Self.expanded)
            }
        }

        var count: Int { shards.reduce(0) { sum, shard in sum + shard.states.withLock { $0.count } } }
    }

    /// What the threads share besides the visited set: the states handed over, who waits, the
    /// stop, and what was found.
    final class Shared: Sendable {
        struct Handover: Sendable {
            var pool: [Pending] = []
            var waiting = 0
            var finished = false
        }

        let handover = Mutex(Handover())
        let wake = DispatchSemaphore(value: 0)
        let stop = Atomic<Bool>(false)
        let transitions = Atomic<Int>(0)
        let counterexample = Mutex<ExplorationResult.Counterexample?>(nil)
        let tallies = Mutex<[Tally]>([])
        let done = DispatchSemaphore(value: 0)
    }

    func run(shouldStop: @escaping () -> Bool, onProgress: ((Explorer.Progress) -> Void)?) -> ExplorationResult {
        let clock = ContinuousClock()
        let started = clock.now
        let shared = Shared()
        let visited = Visited()
        var result = ExplorationResult(search: .dfs)
        var initial = ExploredSystem(setup)
        let fingerprint = initial.fingerprint().value
        _ = visited.reach(fingerprint, asleep: .empty)
        var first = Tally()
        let enabled = initial.enabled(within: bounds)
        var stack: [Pending] = []
        if judge(initial, enabled: enabled, trail: nil, into: &first, shared: shared) {
            stack.append(Pending(system: initial, enabled: enabled, trail: nil, depth: 0, fingerprint: fingerprint))
        }
        for _ in 1..<threads {
            Thread.detachNewThread { [self] in
                let tally = work(stack: [], shared: shared, visited: visited, control: nil)
                shared.tallies.withLock { $0.append(tally) }
                shared.done.signal()
            }
        }
        var lastReport = started
        let control = Control(shouldStop: shouldStop) { transitions, depth in
            let now = clock.now
            guard now - lastReport >= .seconds(1) else { return }
            lastReport = now
            onProgress?(Explorer.Progress(states: visited.count, transitions: transitions, depth: depth, elapsed: now - started))
        }
        var tallies = [work(stack: stack, shared: shared, visited: visited, control: control)]
        for _ in 1..<threads { shared.done.wait() }
        tallies += shared.tallies.withLock { $0 } + [first]
        for tally in tallies {
            result.maxDepth = max(result.maxDepth, tally.maxDepth)
            result.terminalStates += tally.terminalStates
            result.judgedTerminalStates += tally.judgedTerminalStates
            result.mendedPastTheBound += tally.mendedPastTheBound
            result.tradePath = shorter(result.tradePath, tally.tradePath)
            result.takeoverPath = shorter(result.takeoverPath, tally.takeoverPath)
        }
        result.transitions = tallies.reduce(0) { $0 + $1.transitions }
        result.counterexample = shared.counterexample.withLock { $0 }
        result.interrupted = control.stopped && result.counterexample == nil
        result.states = visited.count
        result.complete = result.counterexample == nil && !result.interrupted
        result.elapsed = clock.now - started
        return result
    }

    /// The caller's thread only: asked about a stop and told of progress between states.
    final class Control {
        let shouldStop: () -> Bool
        /// Told the transitions taken so far and the depth this thread is at.
        let progress: (Int, Int) -> Void
        var stopped = false

        init(shouldStop: @escaping () -> Bool, progress: @escaping (Int, Int) -> Void) {
            self.shouldStop = shouldStop
            self.progress = progress
        }
    }

    private func shorter(_ a: ExplorationResult.Path?, _ b: ExplorationResult.Path?) -> ExplorationResult.Path? {
        guard let a else { return b }
        guard let b else { return a }
        return b.actions.count < a.actions.count ? b : a
    }

    /// One thread's search: its own stack until it is empty, then what another hands over,
    /// until every thread waits with nothing to do (or the search stops).
    private func work(stack start: [Pending], shared: Shared, visited: Visited, control: Control?) -> Tally {
        var tally = Tally()
        var stack = start
        var expanded = 0
        var reported = 0
        while !shared.stop.load(ordering: .relaxed) {
            if stack.isEmpty {
                guard let handed = take(shared) else { break }
                stack = handed
            }
            let next = stack.removeLast()
            expanded += 1
            if expanded & 63 == 0 {
                if stack.count >= 2 { handOver(&stack, shared) }
                if expanded & 255 == 0 {
                    shared.transitions.add(tally.transitions - reported, ordering: .relaxed)
                    reported = tally.transitions
                    if let control {
                        if control.shouldStop() {
                            control.stopped = true
                            halt(shared)
                            break
                        }
                        control.progress(shared.transitions.load(ordering: .relaxed), next.depth)
                    }
                }
            }
            let count = next.system.count
            // Asleep here: taken from an ancestor before an independent step that led here.
            let asleep = sleepSets ? visited.asleep(next.fingerprint, expanding: next.only == nil) : .empty
            // Steps asleep here or taken before, as candidates for a child's sleep set.
            var asleepOrTaken = asleep
            let bits = next.enabled.map { SleepSet.bit($0, count: count) }
            for (index, action) in next.enabled.enumerated() {
                let bit = bits[index]
                if SleepSet.skips(bit, asleep: asleep, only: next.only) { continue }
                var system = next.system
                let violations = system.apply(action)
                tally.transitions += 1
                let fingerprint = system.fingerprint().value
                // What stays asleep after this step: what was asleep or taken before it here, and is independent of it.
                var childAsleep = SleepSet.empty
                if sleepSets {
                    if !asleepOrTaken.isEmpty {
                        for (otherIndex, other) in next.enabled.enumerated() where otherIndex != index {
                            guard let otherBit = bits[otherIndex], asleepOrTaken.contains(otherBit),
                                  independence(next.system, other, action) else { continue }
                            childAsleep.insert(otherBit)
                        }
                    }
                    if let bit { asleepOrTaken.insert(bit) }
                }
                if let violation = violations.first {
                    _ = visited.reach(fingerprint, asleep: .empty)
                    tally.maxDepth = max(tally.maxDepth, next.depth + 1)
                    found(.init(violation: violation, path: Trail.path(Trail(action, after: next.trail))), shared)
                    break
                }
                if let missed = visited.reach(fingerprint, asleep: childAsleep) {
                    if !missed.isEmpty {
                        stack.append(Pending(system: system, enabled: system.enabled(within: bounds), trail: Trail(action, after: next.trail),
                                             depth: next.depth + 1, fingerprint: fingerprint, only: missed))
                    }
                    continue
                }
                tally.maxDepth = max(tally.maxDepth, next.depth + 1)
                let trail = Trail(action, after: next.trail)
                let enabled = system.enabled(within: bounds)
                guard judge(system, enabled: enabled, trail: trail, into: &tally, shared: shared) else { break }
                stack.append(Pending(system: system, enabled: enabled, trail: trail, depth: next.depth + 1, fingerprint: fingerprint))
            }
        }
        return tally
    }

    /// The properties of a newly visited state that do not come from its last step (as
    /// `Explorer.judge`); false when it broke one (the search then stops).
    private func judge(_ system: ExploredSystem, enabled: [ExplorationAction], trail: Trail?, into tally: inout Tally, shared: Shared) -> Bool {
        if tally.tradePath == nil, system.tradeCompleted { tally.tradePath = Trail.path(trail) }
        if tally.takeoverPath == nil, system.takeoverHappened { tally.takeoverPath = Trail.path(trail) }
        guard system.isTerminal(enabled) else { return true }
        tally.terminalStates += 1
        guard !system.cutShort(within: bounds) else { return true }
        tally.judgedTerminalStates += 1
        var atTheBound = false
        if let violation = system.restViolations(within: bounds, atTheBound: &atTheBound).first {
            found(.init(violation: violation, path: Trail.path(trail)), shared)
            return false
        }
        if atTheBound { tally.mendedPastTheBound += 1 }
        return true
    }

    private func found(_ counterexample: ExplorationResult.Counterexample, _ shared: Shared) {
        shared.counterexample.withLock { if $0 == nil { $0 = counterexample } }
        halt(shared)
    }

    /// Stops every thread: those waiting are woken to see it.
    private func halt(_ shared: Shared) {
        shared.stop.store(true, ordering: .relaxed)
        let waiting = shared.handover.withLock { handover in
            handover.finished = true
            defer { handover.waiting = 0 }
            return handover.waiting
        }
        for _ in 0..<waiting { shared.wake.signal() }
    }

    /// States handed over by another thread, in stack order; nil when there are none left anywhere.
    private func take(_ shared: Shared) -> [Pending]? {
        enum Next { case states([Pending]), wait, quit(wake: Int) }
        while true {
            let next: Next = shared.handover.withLock { handover in
                if !handover.pool.isEmpty {
                    defer { handover.pool = [] }
                    return .states(handover.pool)
                }
                if handover.finished { return .quit(wake: 0) }
                // Every other thread waits and nothing is left to hand over: the search is done.
                if handover.waiting + 1 == threads {
                    handover.finished = true
                    defer { handover.waiting = 0 }
                    return .quit(wake: handover.waiting)
                }
                handover.waiting += 1
                return .wait
            }
            switch next {
            case .states(let states):
                return states
            case .wait:
                shared.wake.wait()
            case .quit(let wake):
                for _ in 0..<wake { shared.wake.signal() }
                return nil
            }
        }
    }

    /// Gives the bottom half of `stack` to a waiting thread, if one waits and nothing is
    /// waiting to be taken.
    private func handOver(_ stack: inout [Pending], _ shared: Shared) {
        let half = stack.count / 2
        let given = shared.handover.withLock { handover -> Bool in
            guard handover.waiting > 0, handover.pool.isEmpty, !handover.finished else { return false }
            handover.pool = Array(stack[..<half])
            handover.waiting -= 1
            return true
        }
        if given {
            stack.removeFirst(half)
            shared.wake.signal()
        }
    }
}
