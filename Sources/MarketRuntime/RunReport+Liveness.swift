import Foundation
import MarketCore
import MarketStore

extension RunReport {
    /// The liveness figures in the summary: what each election was charged to, the rate while
    /// links were cut beside the rate outside faults, how soon each heal settled, and what
    /// became of the requests cut-off buyers had in hand (`LivenessFigures` says how each is made).
    static func lines(_ figures: LivenessFigures) -> [String] {
        let causes = figures.elections
        var out = ["liveness: elections by cause: startup \(causes.startup), lost trader \(causes.lostTrader), "
            + "partition \(causes.partition), heal \(causes.heal), higher peer back \(causes.higherPeerBack), "
            + "unexplained \(causes.unexplained)"
            + (figures.electionsPerAction.map { String(format: "; %.1f after startup per nemesis action", $0) } ?? "")]
        func rate(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }
        out.append(String(format: "  while cut: %@ decisions/s over %.1f s; outside faults: %@ decisions/s", rate(figures.decidedPerSecondWhileCut),
                          figures.cutSeconds, rate(figures.decidedPerSecondOutsideFaults))
            + (figures.rateRatio.map { String(format: " (%.2f×; goal ≥ 0.5)", $0) } ?? ""))
        let settled = figures.settleSeconds.median().map { String(format: "median %.2f s over %d heal(s)", $0, figures.settleSeconds.count) }
            ?? "no heal settled"
        out.append("  settled after a heal: \(settled)"
            + (figures.healsNotSettled > 0 ? ", \(figures.healsNotSettled) did not before the next action or the end" : "")
            + String(format: " (goal %.2f s: an election timeout and a heartbeat)", figures.settleGoalSeconds))
        let held = figures.cutOffRequests
        out.append("  cut-off buyers' requests: \(held.held) in hand across a cut; \(held.decidedAfterHeal) decided after the heal, "
            + "\(held.decidedWhileCut) during the cut, \(held.neverDecided) never; "
            + (held.decidedTwice == 0 ? "none decided twice" : "\(held.decidedTwice) decided twice"))
        return out
    }
}
