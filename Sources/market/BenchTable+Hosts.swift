import Foundation
import MarketBench

extension BenchTable {
    /// The hosts plan's rows, each named as its one-host row is, after "across hosts:".
    static func hostsRows(_ hosts: HostsFigures, _ row: (String, String, String) -> Void) {
        let on = "peers on " + hosts.hosts.joined(separator: ", ")
        row("across hosts: " + hosts.roundTrip.name, String(format: "%.1f µs", hosts.roundTrip.microseconds), hosts.roundTrip.note)
        row("across hosts: \(hosts.sequential.runs == 1 ? "" : "median of \(hosts.sequential.runs): ")sequential buys",
            String(format: "%.3f s", hosts.sequential.seconds), "test_case2, sick rate 0, \(on), PostgreSQL")
        row("across hosts: sequential buy, p50 / p99", String(format: "%.1f / %.1f µs", hosts.sequential.p50, hosts.sequential.p99),
            "each buy, from the history")
        let point = hosts.throughput
        row("across hosts: \(point.peers) peers, \(point.buyers) buying", String(format: "%.0f buys/s", point.buysPerSecond),
            String(format: "%.1f messages a buy, %d election(s)%@%@", point.messagesPerBuy, point.elections,
                   point.traced ? ", traced run" : "", point.passed ? "" : ", did not pass"))
        row("across hosts: failover, trader killed", String(format: "%.0f ms", hosts.failover.median() ?? 0),
            "median of \(hosts.failover.count), a kill over ssh to the successor's first decision")
        if let cut = hosts.cut.milliseconds {
            row("across hosts: failover, trader's host cut off", String(format: "%.0f ms", cut),
                "from the cut to the first decision of a newer epoch")
        } else {
            row("across hosts: failover, trader's host cut off", "not measured", hosts.cut.notMeasured ?? "")
        }
    }

    /// The hosts plan alone (`--only-hosts`).
    static func hostsOnly(_ hosts: HostsFigures) -> String {
        var lines = ["| measure | figure | note |", "|---|---:|---|"]
        hostsRows(hosts) { lines.append("| \($0) | \($1) | \($2) |") }
        for failure in hosts.failedRuns {
            lines.append("")
            lines.append("did not pass: \(failure)")
        }
        return lines.joined(separator: "\n")
    }
}
