import ArgumentParser
import MarketCore

struct ScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios",
        abstract: "List the built-in scenarios."
    )

    func run() {
        let width = BuiltInScenario.allCases.map(\.rawValue.count).max() ?? 0
        for scenario in BuiltInScenario.allCases {
            print(scenario.rawValue + String(repeating: " ", count: width - scenario.rawValue.count) + "  " + scenario.summary)
        }
    }
}
