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
            row("\(point.peers) peers, \(point.buyers) buying", String(format: "%.0f buys/s", point.buysPerSecond),
                String(format: "%.1f messages a buy%@, %d election(s)%@%@", point.messagesPerBuy, traced, point.elections,
                       point.traced ? ", traced run" : "", point.passed ? "" : ", did not pass"))
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
        for failure in report.failedRuns {
            lines.append("")
            lines.append("did not pass: \(failure)")
        }
        return lines.joined(separator: "\n")
    }

    private func us(_ value: Double) -> String { String(format: "%.1f µs", value) }
}
