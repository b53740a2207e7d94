import MarketCore
import MarketStore

/// What a buyer's lane in the timeline draws of its requests: a mark per request, from when
/// the trader received it to when it was decided, while the run's requests are few enough to
/// read that way; beyond that, a strip of outcomes (the share bought and failed per column of
/// the lane), with every long wait and every pending request still a mark of its own.
struct BuyerActivity {
    enum Outcome: String {
        case bought, failed, pending
    }

    /// One request, drawn from `fromMs` to `toMs` (decided, or the end of the history if pending).
    struct Mark {
        var requestID: String
        var outcome: Outcome
        var reason: String?
        var fromMs: Double
        var toMs: Double
        var epochs: (received: Epoch?, decided: Epoch?)
        var isTakeover: Bool
    }

    /// One column of the strip: what was decided in it.
    struct Column {
        var index: Int
        var bought: Int
        var failed: Int
    }

    var buyer: PeerID
    var requests: Int
    var bought: Int
    var failed: Int
    var pending: Int
    /// Failed decisions by reason, most frequent first.
    var reasons: [(reason: String, count: Int)]
    var marks: [Mark] = []
    /// Empty unless the lane is summarized; then the columns that decided anything.
    var columns: [Column] = []
    var columnMs: Double = 0
    /// Marks left out to keep the page small (a strip's long waits beyond the run's budget).
    var leftOut = 0

    var isSummarized: Bool { columnMs > 0 }

    /// Up to this many requests of the whole run get a mark each, and up to `laneMarkLimit` on
    /// one lane (narrower than two units each, they would run together); above either, every
    /// lane is a strip.
    static let markLimit = 2000
    static let laneMarkLimit = 400
    /// A lane's strip has at most this many columns (fewer when many buyers share the page's budget).
    static let maxColumns = 224
    static let columnBudget = 6000
    /// In a strip, waits at least this many columns long are still drawn as marks.
    static let longWaitColumns = 2.0

    /// The activity of every buyer that made a request, by peer. `endMs` closes pending marks.
    static func make(requests: [RunChronicle.Request], endMs: Double) -> [PeerID: BuyerActivity] {
        let byBuyer = Dictionary(grouping: requests, by: \.buyer)
        let summarize = requests.count > markLimit || byBuyer.values.contains { $0.count > laneMarkLimit }
        let columns = max(40, min(maxColumns, columnBudget / max(byBuyer.count, 1)))
        let columnMs = max(endMs, 1) / Double(columns)
        var result: [PeerID: BuyerActivity] = [:]
        for (buyer, own) in byBuyer {
            var activity = BuyerActivity(buyer: buyer, requests: own.count, bought: 0, failed: 0, pending: 0, reasons: [])
            var reasons: [String: Int] = [:]
            var strip: [Int: Column] = [:]
            for request in own {
                let outcome: Outcome = request.decidedMs == nil ? .pending : request.status == .failed ? .failed : .bought
                switch outcome {
                case .bought: activity.bought += 1
                case .failed: activity.failed += 1; reasons[request.reason ?? "no reason recorded", default: 0] += 1
                case .pending: activity.pending += 1
                }
                let to = request.decidedMs ?? max(endMs, request.receivedMs)
                let mark = Mark(requestID: request.requestID, outcome: outcome, reason: request.reason, fromMs: request.receivedMs,
                                toMs: max(to, request.receivedMs), epochs: (request.epochReceived, request.epochDecided),
                                isTakeover: request.isTakeover)
                guard summarize else { activity.marks.append(mark); continue }
                if outcome == .pending || mark.toMs - mark.fromMs >= longWaitColumns * columnMs {
                    activity.marks.append(mark)
                }
                if outcome != .pending {
                    let index = min(columns - 1, max(0, Int(mark.toMs / columnMs)))
                    var column = strip[index] ?? Column(index: index, bought: 0, failed: 0)
                    if outcome == .failed { column.failed += 1 } else { column.bought += 1 }
                    strip[index] = column
                }
            }
            activity.reasons = reasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
            if summarize {
                activity.columnMs = columnMs
                activity.columns = strip.values.sorted { $0.index < $1.index }
            }
            result[buyer] = activity
        }
        if summarize { limitMarks(&result) }
        return result
    }

    /// A strip's own marks (long waits, pending requests) share the run's budget: beyond it,
    /// each lane keeps an even sample, and says how many it left out.
    static func limitMarks(_ activities: inout [PeerID: BuyerActivity]) {
        let total = activities.values.reduce(0) { $0 + $1.marks.count }
        guard total > markLimit else { return }
        let step = (total + markLimit - 1) / markLimit
        for buyer in activities.keys {
            let marks = activities[buyer]!.marks
            activities[buyer]!.marks = stride(from: 0, to: marks.count, by: step).map { marks[$0] }
            activities[buyer]!.leftOut = marks.count - activities[buyer]!.marks.count
        }
    }

    /// `no seller ×12, sold out ×1`
    var reasonsText: String {
        reasons.map { "\($0.reason) ×\($0.count)" }.joined(separator: ", ")
    }

    /// The lane's hover text: its totals, with the reasons for its failures.
    var summary: String {
        var text = "P\(buyer): \(requests) requests, \(bought) bought, \(failed) failed"
        if failed > 0 { text += " (\(reasonsText))" }
        if pending > 0 { text += ", \(pending) pending" }
        return text
    }
}

extension BuyerActivity.Mark {
    /// `P0-17 failed (no seller): received at 1.2 s, decided after 250 µs, in epoch 3`
    var title: String {
        let outcome = self.outcome == .failed ? "failed (\(reason ?? "no reason recorded"))" : self.outcome.rawValue
        var text = "\(requestID) \(outcome): received at \(Duration.text(ms: fromMs)), "
        if self.outcome == .pending {
            text += "not decided when the history was read"
        } else {
            text += "decided after \(Duration.text(ms: toMs - fromMs))"
            if isTakeover, let received = epochs.received, let decided = epochs.decided {
                text += ", received in epoch \(received) and taken over in epoch \(decided)"
            } else if let decided = epochs.decided {
                text += ", in epoch \(decided)"
            }
        }
        return text
    }
}
