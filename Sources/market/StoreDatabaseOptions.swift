import ArgumentParser
import MarketCore
import MarketStore

/// `--db` and `--run`, shared by the commands that read the history.
struct StoreDatabaseOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("The market database: an SQLite file, or a postgresql:// URL.", valueName: "path-or-url"))
    var path: String = "market.db"

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to show (default: the latest).", valueName: "id"))
    var runID: Int64?

    func validate() throws {
        if let runID, runID < 1 { throw ValidationError("--run must be a run id, 1 or more") }
        if path.isEmpty { throw ValidationError("--db must name a file") }
    }

    /// Said of a run still marked running whose supervisor process is gone.
    static func abandonedNote(_ runID: Int64) -> String {
        "note: run \(runID) was abandoned: its supervisor is gone, so its history ends where it stopped "
            + "(the next `market run` on this database marks it interrupted)"
    }

    /// Opens read-only: never creates the file, never migrates it.
    func open() throws(StoreError) -> (MarketDatabase, Int64) {
        let database = try Self.openChecked(path)
        return (database, try database.resolveRun(runID))
    }

    /// Opens read-only and refuses a damaged file in one line, rather than show what happens
    /// to be readable in it as if it were the whole history.
    static func openChecked(_ path: String) throws(StoreError) -> MarketDatabase {
        let database = try MarketDatabase.openReadOnly(path: path)
        try database.verifyIntegrity()
        return database
    }
}

/// Pads columns for the terminal.
enum ColumnText {
    static func table(_ header: [String], _ rows: [[String]], indent: String = "  ") -> [String] {
        TextTable.lines([header] + rows, indent: indent)
    }

    static func money(_ cents: Int?) -> String {
        guard let cents else { return "-" }
        let sign = cents < 0 ? "-" : ""
        let value = abs(cents)
        let fraction = String(value % 100)
        return "\(sign)\(value / 100).\(fraction.count == 1 ? "0" + fraction : fraction)"
    }

    static func optional<T>(_ value: T?) -> String {
        value.map { "\($0)" } ?? "-"
    }
}
