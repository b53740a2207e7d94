import ArgumentParser

@main
struct MarketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market",
        abstract: "A peer-to-peer trading post: peers elect a trader (Bully), order buys by Lamport clocks, and keep every run in SQLite.",
        subcommands: [
            ScenariosCommand.self,
            RunCommand.self,
            PeerCommand.self,
            SimulateCommand.self,
            BenchCommand.self,
            InspectCommand.self,
            RunsCommand.self,
            CheckCommand.self,
            ReportCommand.self,
            BenchStoreCommand.self,
        ]
    )
}
