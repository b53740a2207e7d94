import ArgumentParser
import MarketCore

struct ScenariosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenarios",
        abstract: "List the built-in scenarios."
    )

    func run() {
        for line in TextTable.lines(BuiltInScenario.allCases.map { [$0.rawValue, $0.summary] }) {
            print(line)
        }
    }
}
