import ArgumentParser
import MarketBench

/// The far end of `market bench --hosts`'s round trip between hosts, started there over ssh.
struct SealedEchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealed-echo",
        abstract: "Echo one connection's sealed frames (started by `market bench --hosts` over ssh).",
        shouldDisplay: false
    )

    func run() throws {
        try SealedEchoServer.serve()
    }
}
