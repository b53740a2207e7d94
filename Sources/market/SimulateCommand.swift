import ArgumentParser

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the protocol in-process under virtual time and seeded faults, checking every invariant."
    )

    func run() throws {
        throw ValidationError("not built yet")
    }
}
