import ArgumentParser
import Foundation
import MarketRuntime

@main
struct MarketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market",
        abstract: "A peer-to-peer trading post: peers elect a trader (Bully), order buys by Lamport clocks, and keep every run in SQLite.",
        version: MarketVersion.current,
        subcommands: [
            ScenariosCommand.self,
            RunCommand.self,
            PeerProcessCommand.self,
            SimulateCommand.self,
            BenchCommand.self,
            InspectCommand.self,
            RunsCommand.self,
            TradesCommand.self,
            CheckCommand.self,
            ExploreCommand.self,
            ReportCommand.self,
            BenchStoreCommand.self,
            SealedEchoCommand.self,
            PauseWatchCommand.self,
        ]
    )

    /// Before any thread starts: under an address-space limit, glibc's per-thread arenas are
    /// what runs out first (see `AddressSpace`).
    static func main() {
        AddressSpace.economize()
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            CommandFailure.exit(error, arguments: arguments)
        }
    }
}
