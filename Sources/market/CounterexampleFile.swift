import ArgumentParser
import Foundation
import MarketCore
import MarketSimulation

/// A counterexample as `market explore` saves it: what was explored (the scenario, its
/// planted bugs, the bounds) and the steps, each in its text form (`deliver P0 P2`), so
/// `market explore --replay FILE` takes them again.
struct CounterexampleFile: Codable {
    var setup: ExplorationSetup
    var bounds: ExplorationBounds
    var violation: String
    var steps: [String]

    init(setup: ExplorationSetup, bounds: ExplorationBounds, violation: Violation, steps: [ExplorationAction]) {
        self.setup = setup
        self.bounds = bounds
        self.violation = "\(violation.kind.rawValue): \(violation.detail)"
        self.steps = steps.map(\.text)
    }

    var path: [ExplorationAction] {
        get throws {
            try steps.enumerated().map { index, text in
                guard let action = ExplorationAction(text) else {
                    throw ValidationError("step \(index + 1) of the counterexample is not a step: '\(text)'")
                }
                return action
            }
        }
    }

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot save the counterexample to \(path): \(error.localizedDescription)")
        }
    }

    static func read(from path: String) throws -> CounterexampleFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the counterexample \(path)")
        }
        do {
            return try JSONDecoder().decode(CounterexampleFile.self, from: data)
        } catch {
            throw ValidationError("\(path) is not a counterexample saved by market explore")
        }
    }
}
