import ArgumentParser
import Foundation
import MarketStore

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Look inside what the market keeps.",
        subcommands: [InspectDatabaseCommand.self]
    )
}

struct InspectDatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Show what the database holds for a run: leader record, elections, inventory, queue, trades, ledgers, verdict.",
        discussion: "Opens the database read-only: it never creates or changes a file, and works while a run is live."
    )

    @OptionGroup var database: StoreDatabaseOptions

    @Flag(help: "Print it as JSON.")
    var json = false

    func run() throws {
        let (db, runID) = try database.open()
        let inspection = try db.inspect(runID: runID)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(inspection), as: UTF8.self))
            return
        }
        for line in Self.render(inspection, path: db.path) {
            print(line)
        }
        if try db.abandonedRuns().contains(runID) { print(StoreDatabaseOptions.abandonedNote(runID)) }
    }

    static func render(_ inspection: RunInspection, path: String) -> [String] {
        let run = inspection.run
        var lines: [String] = []
        lines.append("run \(run.runID) of \(path): \(run.scenario), \(run.peerCount) peers, seed \(run.seed), \(run.status.rawValue); "
            + "started \(run.startedAt)" + (run.finishedAt.map { ", finished \($0)" } ?? ""))
        let leader = inspection.leader
        lines.append("leader: epoch \(leader.epoch), " + (leader.leader.map { "P\($0)" } ?? "no leader") + ", "
            + (leader.electionInProgress ? "election in progress" : "no election in progress")
            + (leader.updatedAt.map { " (updated \($0))" } ?? "")
            + (leader.leaseExpiresAt.map { ", lease until \($0)" } ?? ""))

        lines.append("elections: \(inspection.elections.count)")
        let elections = inspection.elections.suffix(10)
        if !elections.isEmpty {
            if inspection.elections.count > elections.count { lines.append("  … the last \(elections.count):") }
            lines += ColumnText.table(["epoch", "winner", "initiator", "reason", "started", "finished"], elections.map {
                [String($0.epoch), "P\($0.winner)", $0.initiator.map { "P\($0)" } ?? "-", $0.reason ?? "-",
                 $0.startedAt ?? "-", $0.finishedAt ?? "-"]
            })
        }

        if !inspection.nemesis.isEmpty {
            let actions = inspection.nemesis.filter { !$0.isHeal }.count
            lines.append("nemesis: \(actions) actions, \(inspection.nemesis.count - actions) heals")
            let shown = inspection.nemesis.suffix(10)
            if inspection.nemesis.count > shown.count { lines.append("  … the last \(shown.count):") }
            lines += ColumnText.table(["action", "groups", "links cut", "at"], shown.map {
                [$0.action, $0.groups.isEmpty ? "-" : $0.groups, $0.links.isEmpty ? "none" : $0.links, $0.at]
            })
        }

        let changes = inspection.views.filter { $0.view > 0 }
        if !changes.isEmpty {
            lines.append("view changes: \(changes.count) ("
                + inspection.viewChangesByEpoch.map { "epoch \($0.epoch) ×\($0.changes)" }.joined(separator: ", ") + ")")
            let shown = changes.suffix(10)
            if changes.count > shown.count { lines.append("  … the last \(shown.count):") }
            lines += ColumnText.table(["epoch", "view", "trader", "dropped", "readmitted", "members", "from decision", "at"], shown.map {
                [String($0.epoch), String($0.view), "P\($0.trader)", Self.peerNames($0.dropped), Self.peerNames($0.readmitted),
                 Self.peerNames($0.members), String($0.firstSeq), $0.at]
            })
        }

        lines.append("inventory: \(inspection.inventory.count) seller/product pairs")
        if !inspection.inventory.isEmpty {
            lines += ColumnText.table(["seller", "product", "stock", "deposited", "sold"], inspection.inventory.map {
                ["P\($0.seller)", $0.product, String($0.stock), String($0.deposited), String($0.deposited - $0.stock)]
            })
        }

        lines.append("requests: \(inspection.bought) bought, \(inspection.failed) failed, \(inspection.pendingCount) pending; "
            + "outbox: \(inspection.undeliveredOutbox) undelivered; faults: \(inspection.faults)")
        if !inspection.pendingHead.isEmpty {
            lines.append("pending queue head, in (lamport_ts, buyer_id) order:")
            lines += ColumnText.table(["request", "stamp", "product", "qty", "received in epoch"], inspection.pendingHead.map {
                [$0.requestID, "(\($0.lamport), P\($0.buyer))", $0.product.rawValue, String($0.quantity), ColumnText.optional($0.epochReceived)]
            })
        }

        lines.append("last trades: \(inspection.lastTrades.isEmpty ? "none" : "")")
        if !inspection.lastTrades.isEmpty {
            lines.removeLast()
            lines.append("last trades, newest first:")
            lines += ColumnText.table(
                ["trade", "request", "buyer", "seller", "trader", "epoch", "product", "qty", "price", "commission", "stamp"],
                inspection.lastTrades.map {
                    [String($0.tradeID), $0.requestID, "P\($0.buyer)", "P\($0.seller)", "P\($0.trader)", String($0.epoch),
                     $0.product.rawValue, String($0.quantity), ColumnText.money($0.priceCents), ColumnText.money($0.commissionCents),
                     ColumnText.optional($0.lamport)]
                })
        }

        lines.append("peers and their ledgers (written when each peer stops):")
        lines += ColumnText.table(["peer", "role", "product", "bought", "sold", "cash", "final clock", "pid", "host"], inspection.peers.map {
            ["P\($0.peer)" + ($0.downAtStart ? " (down)" : ""), $0.role.rawValue, $0.product.rawValue, ColumnText.optional($0.bought),
             ColumnText.optional($0.sold), ColumnText.money($0.cashCents), ColumnText.optional($0.finalClock),
             ColumnText.optional($0.pid), $0.host ?? "-"]
        })

        lines.append("check: \(inspection.check.verdict)")
        if !inspection.check.passed {
            lines += inspection.check.lines(limit: 5).filter { !$0.hasPrefix("ok") }
        }
        return lines
    }

    /// `1 3` as `P1 P3`; `-` for none.
    static func peerNames(_ list: String) -> String {
        let names = list.split(separator: " ").map { "P\($0)" }
        return names.isEmpty ? "-" : names.joined(separator: " ")
    }
}
