import ArgumentParser
import MarketStore

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs a market database holds."
    )

    @Option(name: .customLong("db"), help: ArgumentHelp("The market database: an SQLite file, or a postgresql:// URL.", valueName: "path-or-url"))
    var path: String = "market.db"

    func run() throws {
        let database = try StoreDatabaseOptions.openChecked(path)
        let runs = try database.runs()
        let abandoned = try database.abandonedRuns()
        guard !runs.isEmpty else {
            print("\(path) holds no runs yet")
            return
        }
        let rows = runs.map { run in
            [String(run.runID), run.scenario, String(run.peerCount), String(run.seed),
             abandoned.contains(run.runID) ? "\(run.status.rawValue) (supervisor gone)" : run.status.rawValue, run.startedAt,
             run.finishedAt ?? "-", String(run.decided), String(run.trades), String(run.pending), String(run.elections)]
        }
        for line in ColumnText.table(
            ["run", "scenario", "peers", "seed", "status", "started", "finished", "decided", "trades", "pending", "elections"],
            rows, indent: "") {
            print(line)
        }
    }
}
