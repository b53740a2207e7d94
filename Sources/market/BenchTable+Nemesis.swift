import Foundation
import MarketBench

extension BenchTable {
    /// The runs under a nemesis (medians over the plan's seeds), then the runs of many peers.
    func nemesisRows(_ row: (String, String, String) -> Void) {
        func figure(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        for nemesis in report.nemesis {
            let name = "\(nemesis.peers) peers, --nemesis \(nemesis.kind) every \(figure(nemesis.intervalSeconds, "%g")) s"
            let runs = "median of \(nemesis.runs) run(s)" + (nemesis.passed < nemesis.runs ? ", \(nemesis.runs - nemesis.passed) did not pass" : "")
            row("\(name): rate while cut", figure(nemesis.decidedPerSecondWhileCut, "%.1f decisions/s"),
                "\(figure(nemesis.decidedPerSecondOutsideFaults, "%.1f")) outside faults, "
                    + "\(figure(nemesis.rateRatio, "%.2f"))× (goal ≥ 0.5); \(runs)")
            row("\(name): settle after a heal", figure(nemesis.settleSeconds, "%.2f s"),
                "goal \(figure(nemesis.settleGoalSeconds, "%.2f")) s; \(nemesis.healsSettled) heal(s) settled, \(nemesis.healsNotSettled) not")
            let causes = nemesis.elections
            let held = nemesis.cutOffRequests
            row("\(name): elections per action", figure(nemesis.electionsPerAction, "%.1f"),
                "partition \(causes.partition), heal \(causes.heal), higher peer back \(causes.higherPeerBack), "
                    + "lost trader \(causes.lostTrader), unexplained \(causes.unexplained) in all; cut-off requests: "
                    + "\(held.held) held, \(held.decidedAfterHeal) decided after the heal, \(held.neverDecided) never, \(held.decidedTwice) twice")
        }
        for large in report.large {
            row("\(large.scenario), \(large.peers) peers, sick rate 0", String(format: "%.1f decisions/s", large.decidedPerSecond),
                "\(large.elections) election(s), \(large.decided) decided" + (large.passed ? "" : ", did not pass"))
        }
    }
}
