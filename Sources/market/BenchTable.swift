import Foundation
import MarketBench

/// `market bench` without `--json`: the figures as Markdown tables, as the README shows them.
struct BenchTable {
    let report: BenchReport

    var text: String {
        var lines = ["| measure | figure | note |", "|---|---:|---|"]
        func row(_ name: String, _ figure: String, _ note: String = "") { lines.append("| \(name) | \(figure) | \(note) |") }
        let floor = report.floorSequentialBuy
        row("Unix socket round trip (64 B)", us(report.floorUDSRoundTrip), "floor")
        row("SQLite WAL one-row commit (NORMAL)", us(report.floorCommit), "floor")
        row("floor of a sequential buy", us(floor), "2 round trips + 1 commit")
        row("1000 sequential buys", String(format: "%.3f s", report.sequentialSeconds), "test_case2, sick rate 0, first received to last decided")
        row("sequential buy, p50", us(report.sequentialP50), String(format: "%.1f× the floor (each buy, from the history)", report.sequentialP50 / floor))
        row("sequential buy, p99", us(report.sequentialP99), "each buy, from the history")
        for point in report.scale {
            let traced = point.tracedPassed ? "" : " (traced run did not pass, \(point.tracedElections) elections)"
            let depth = point.inFlight > 1 ? ", \(point.inFlight) in flight a buyer" : ""
            let wire = point.envelopesPerBuy.map { envelopes in
                String(format: "; %.1f envelopes in %.1f frames a buy", envelopes, point.framesPerBuy ?? 0)
            } ?? ""
            row("\(point.peers) peers, \(point.buyers) buying\(depth)", String(format: "%.0f buys/s", point.buysPerSecond),
                String(format: "%.1f messages a buy%@, %d election(s)%@%@%@", point.messagesPerBuy, traced, point.elections,
                       point.traced ? ", traced run" : "", point.passed ? "" : ", did not pass", wire))
        }
        row("failover, trader killed", String(format: "%.0f ms", report.failover), "median of \(report.failoverSamples), fault to the successor's first decision")
        row("failover, trader silent", String(format: "%.0f ms", report.failoverSilent), "median of \(report.failoverSilentSamples)")
        row("largest peer, peak RSS", String(format: "%.1f MB", report.peerRSSMegabytes), "")
        for lab in report.labTable {
            row(String(format: "lab at %.1f %% re-election", lab.sickRate * 100), String(format: "%.2f s", lab.seconds),
                "\(lab.elections) elections, \(report.labRequestsPerBuyer) requests a buyer")
        }
        for figure in report.figures.dropFirst(2) {
            row(figure.name, us(figure.microseconds), figure.note)
        }
        postgresRows(row)
        nemesisRows(row)
        if let hosts = report.hosts { Self.hostsRows(hosts, row) }
        for explored in report.explorer {
            row("explore \(explored.bounds)", String(format: "%.1f s", explored.seconds),
                String(format: "%d states, %d transitions, depth %d, %.1f s processor, %.0f MB peak%@", explored.states, explored.transitions,
                       explored.maxDepth, explored.cpuSeconds, explored.peakMemoryMB, explored.complete ? "" : ", not complete"))
        }
        if report.postgres == nil, let skipped = report.postgresSkipped {
            lines.append("")
            lines.append("PostgreSQL figures skipped: \(skipped)")
        }
        for failure in report.failedRuns {
            lines.append("")
            lines.append("did not pass: \(failure)")
        }
        return lines.joined(separator: "\n")
    }

    /// The server's floors, then each durability's pair: SQLite's row, then PostgreSQL's with the goal's ratio.
    private func postgresRows(_ row: (String, String, String) -> Void) {
        guard let postgres = report.postgres else { return }
        let floors = postgres.floors
        row(floors.roundTrip.name, us(floors.roundTrip.microseconds), "floor, postgres-nio as the store uses it")
        for commit in [floors.commitOff, floors.commitOn] { row(commit.name, us(commit.microseconds), "floor") }
        for pair in postgres.pairs {
            for engine in [pair.sqlite, pair.postgres] {
                let goal = engine.label == pair.postgres.label
                    ? String(format: "%.1f× 2 round trips + 1 PostgreSQL commit measured just before (%.1f µs); goal: within 2×",
                             pair.sequentialRatio, pair.floorSequentialBuy)
                    : ""
                row("sequential buy p50 / p99, \(engine.label)", String(format: "%.1f / %.1f µs", engine.sequentialP50, engine.sequentialP99),
                    String(format: "%.3f s in all", engine.sequentialSeconds) + (goal.isEmpty ? "" : "; " + goal))
            }
            for engine in [pair.sqlite, pair.postgres] {
                let goal = engine.label == pair.postgres.label
                    ? String(format: "SQLite's is %.2f× this; goal: within 2×", pair.throughputRatio) : ""
                row("16 peers, 12 buying, \(engine.label)", String(format: "%.0f buys/s", engine.throughput), goal)
            }
        }
    }

    private func us(_ value: Double) -> String { String(format: "%.1f µs", value) }
}
