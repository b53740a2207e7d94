import MarketCore

/// What an exploration covered and found.
public struct ExplorationResult: Sendable {
    public enum Search: String, Codable, Sendable {
        case bfs, dfs
    }

    /// A path from the initial state, one action a step.
    public struct Path: Hashable, Sendable {
        public var actions: [ExplorationAction]
    }

    public struct Counterexample: Sendable {
        public var violation: Violation
        /// Shortest with breadth-first search.
        public var path: Path
    }

    public var search: Search
    /// Distinct states visited, the initial one included.
    public var states = 0
    /// Steps taken from expanded states (to new states or ones seen before).
    public var transitions = 0
    /// The deepest state visited.
    public var maxDepth = 0
    /// States at rest, and how many of them were judged (the rest wait on a timer out of firings).
    public var terminalStates = 0
    public var judgedTerminalStates = 0
    /// Judged states at rest that break a property at rest (a lower trader, a request left
    /// pending) which heartbeats past the bound, with no new fault, mend: the bound's doing,
    /// not a violation (`ExploredSystem.repairedByHeartbeats`).
    public var mendedPastTheBound = 0
    /// States not expanded because they are at the depth bound.
    public var cutByDepth = 0
    /// Every state reachable within the bounds was visited (false when stopped early or a
    /// violation ended the search).
    public var complete = false
    /// Stopped from outside (Ctrl-C): with breadth-first search, every state up to
    /// `coveredDepth` was visited.
    public var interrupted = false
    public var coveredDepth = 0
    public var elapsed: Duration = .zero
    public var counterexample: Counterexample?
    /// Shortest paths to a committed trade, and to a takeover (nil: not reached).
    public var tradePath: Path?
    public var takeoverPath: Path?

    public var passed: Bool { counterexample == nil }
}
