import MarketCore

/// A path taken again from the initial state, step by step, with the same checks as the
/// search: how a counterexample is shown and replayed.
public struct ExplorationReplay {
    public struct Step: Sendable {
        public var action: ExplorationAction
        /// What the step did, in words.
        public var description: String
        public var violations: [Violation]
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Step `number` (from 1) is not enabled where the path reaches.
        case notEnabled(number: Int, ExplorationAction)

        public var description: String {
            switch self {
            case .notEnabled(let number, let action): "step \(number) (\(action.text)) is not enabled in the state the steps before it reach"
            }
        }
    }

    public var steps: [Step] = []
    /// Broken at rest, in the last state, when it is at rest.
    public var restViolations: [Violation] = []
    /// The last state is at rest and breaks a property at rest that heartbeats past the bound mend.
    public var mendedPastTheBound = false
    public var finalState: ExploredSystem
    /// Every message sent on the path, in the order sent, with what became of it.
    public var messages: [PathMessage]

    /// The first invariant the path breaks, if any.
    public var firstViolation: Violation? { steps.lazy.flatMap(\.violations).first ?? restViolations.first }

    public init(setup: ExplorationSetup, bounds: ExplorationBounds, path: [ExplorationAction]) throws(Failure) {
        var system = ExploredSystem(setup)
        var tracker = PathMessage.Tracker(system)
        for (index, action) in path.enumerated() {
            guard system.enabled(within: bounds).contains(action) else { throw .notEnabled(number: index + 1, action) }
            let description = system.describe(action)
            let before = system.links
            let violations = system.apply(action)
            tracker.record(step: index + 1, action: action, before: before, after: system)
            steps.append(Step(action: action, description: description, violations: violations))
        }
        let enabled = system.enabled(within: bounds)
        if system.isTerminal(enabled), !system.cutShort(within: bounds) {
            restViolations = system.restViolations(within: bounds, atTheBound: &mendedPastTheBound)
        }
        finalState = system
        messages = tracker.messages
    }
}
