import ArgumentParser
import MarketRuntime

/// Beside a peer over SSH on its host: says when the peer is stopped from outside and continued.
struct PauseWatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause-watch",
        abstract: "Say on standard output when a process is stopped and continued (started by a peer over ssh).",
        shouldDisplay: false
    )

    @Option(name: .long) var pid: Int32

    func run() throws {
        PauseWatch.run(pid: pid)
    }
}
