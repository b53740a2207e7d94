import ArgumentParser
import MarketCore
import MarketRuntime
import MarketStore

struct TradesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trades",
        abstract: "List a run's trades as the lab printed them: P0 bought salt from P1 via P6, epoch 3.",
        discussion: """
            One line per trade, in the order the traders made them (trade id). Opens the database \
            read-only, so it works while a run is live and shows what is committed.
            """
    )

    @OptionGroup var database: StoreDatabaseOptions

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only the trades this peer bought.", valueName: "peer"))
    var buyer: PeerID?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Only the trades this peer sold.", valueName: "peer"))
    var seller: PeerID?

    func validate() throws {
        for (name, peer) in [("--buyer", buyer), ("--seller", seller)] {
            if let peer, !(0..<ScenarioLimits.maxPeers).contains(peer) {
                throw ValidationError("\(name) must be a peer number, 0 to \(ScenarioLimits.maxPeers - 1)")
            }
        }
    }

    func run() throws {
        let (db, runID) = try database.open()
        let trades = try db.trades(runID: runID, buyer: buyer, seller: seller)
        guard !trades.isEmpty else {
            let who = [buyer.map { "bought by P\($0)" }, seller.map { "sold by P\($0)" }].compactMap { $0 }
            print("run \(runID) of \(db.path) holds no trades" + (who.isEmpty ? "" : " " + who.joined(separator: " and ")))
            return
        }
        for trade in trades {
            print(trade.description)
        }
    }

    /// `market run --trades`: the trades of the run that just ended (the newest run, if newer than
    /// `previous`), read from its history. Failing to read them is said on standard error; the
    /// run's exit code stands.
    static func printAfterRun(database path: String, after previous: Int64?, json: Bool) {
        let out = json ? DescriptorWriter.standardError : DescriptorWriter.standardOutput
        do {
            let db = try MarketDatabase.openReadOnly(path: path)
            guard let runID = try db.latestRunID(), runID > previous ?? 0 else {
                DescriptorWriter.standardError.write("market run: no trades listed: the run was not recorded\n")
                return
            }
            let trades = try db.trades(runID: runID)
            out.write("trades: \(trades.count)\n" + trades.map { "  \($0)\n" }.joined())
        } catch {
            DescriptorWriter.standardError.write("market run: no trades listed: \(CommandFailure.message(error))\n")
        }
    }
}
