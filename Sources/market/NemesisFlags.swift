import ArgumentParser
import MarketCore

/// `--nemesis`, `--nemesis-interval`, `--latency` and `--loss`, shared by `market run` and
/// `market simulate`.
struct NemesisFlags: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Cut links from the seed, each action followed by a heal: partition, isolate-trader, one-way, bridge, flaky (comma-separated).",
        valueName: "kinds"))
    var nemesis: String?

    @Option(help: ArgumentHelp("How long each nemesis action lasts, and the calm after its heal.", valueName: "seconds"))
    var nemesisInterval: Double = NemesisPlan.defaultInterval.seconds

    @Option(help: ArgumentHelp(
        "Latency on every link: a mean with its unit (5ms, 250us), optionally :uniform or :exponential (default: constant).",
        valueName: "mean[:distribution]"))
    var latency: String?

    @Option(help: ArgumentHelp("The chance that a frame's transmission is lost and sent again (0 to below 1).", valueName: "chance"))
    var loss: Double = 0

    mutating func validate() throws {
        _ = try plan(actions: nil)
        _ = try conditions()
    }

    /// The nemesis asked for, or nil.
    func plan(actions: Int?) throws -> NemesisPlan? {
        guard let nemesis else { return nil }
        guard nemesisInterval >= 0.01, nemesisInterval <= 3600 else {
            throw ValidationError("--nemesis-interval must be 0.01 to 3600 seconds")
        }
        do {
            return NemesisPlan(kinds: try NemesisKind.list(nemesis), interval: .milliseconds(Int64(nemesisInterval * 1000)),
                               actions: actions)
        } catch {
            throw ValidationError("--nemesis: \(error)")
        }
    }

    /// Latency and loss asked for (clear when neither is).
    func conditions() throws -> LinkConditions {
        var conditions = LinkConditions()
        do {
            if let latency { (conditions.latency, conditions.distribution) = try LinkConditions.latency(latency) }
            conditions.loss = try LinkConditions.loss(String(loss))
        } catch {
            throw ValidationError(error.description)
        }
        return conditions
    }

    /// The flags as given, for a replay line.
    var replayArguments: String {
        var text = ""
        if let nemesis { text += " --nemesis \(nemesis) --nemesis-interval \(nemesisInterval)" }
        if let latency { text += " --latency \(latency)" }
        if loss != 0 { text += " --loss \(loss)" }
        return text
    }
}
