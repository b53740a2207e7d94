import MarketCore
import MarketStore

/// A lane per peer over the run's time: its states, its spans as trader, a buyer's requests,
/// the elections.
enum TimelineSection {
    static func make(_ context: ReportContext) -> ReportSection {
        let peers = context.inspection.peers.map { (id: $0.peer, label: context.peerLabels[$0.peer] ?? "P\($0.peer)", downAtStart: $0.downAtStart) }
        let lanes = PeerLane.lanes(peers: peers, chronicle: context.chronicle)
        let activities = BuyerActivity.make(requests: context.chronicle.requests, endMs: context.time.domain.upperBound)
        let laneHeight = max(8, min(22, 560 / Double(max(lanes.count, 1))))
        let top = 30.0
        let notes = UnnoticedSilence.notes(lanes.flatMap(\.unnoticed), time: context.time, y: top + laneHeight * Double(lanes.count) + 24)
        let height = top + laneHeight * Double(lanes.count) + 24 + notes.height
        let time = context.time
        var parts: [String] = [UnnoticedSilence.pattern]
        let plotHeight = laneHeight * Double(lanes.count)
        for (row, lane) in lanes.enumerated() {
            let y = top + laneHeight * Double(row)
            parts.append(SVG.rect(x: time.range.lowerBound, y: y + 1, width: time.range.upperBound - time.range.lowerBound,
                                  height: laneHeight - 2, cssClass: "up"))
            // Many thin lanes get short labels in a smaller font, or they run into one another; the
            // full one is on hover.
            let fontSize = min(11, laneHeight * (laneHeight < 12 ? 0.72 : 0.85))
            let label = lanes.count > 32 ? "P\(lane.peer)" : lane.label
            let hover = lane.label + (activities[lane.peer].map { " · " + $0.summary } ?? "")
            parts.append("<text x=\"\(SVG.number(ReportContext.left - 6))\" y=\"\(SVG.number(y + laneHeight / 2 + fontSize / 3))\" "
                + "class=\"lane\" text-anchor=\"end\" font-size=\"\(SVG.number(fontSize))\">\(SVG.escape(label))"
                + "<title>\(SVG.escape(hover))</title></text>")
        }
        parts += context.nemesisBands(top: top, height: plotHeight)
        parts += context.electionBands(top: top, height: plotHeight)
        for (row, lane) in lanes.enumerated() {
            let y = top + laneHeight * Double(row)
            for span in lane.spans {
                parts.append(SVG.rect(x: time(span.fromMs), y: y + 1, width: time(span.toMs) - time(span.fromMs), height: laneHeight - 2,
                                      cssClass: span.state.rawValue,
                                      title: "P\(lane.peer) \(span.state.label) \(Duration.text(ms: span.fromMs))–\(Duration.text(ms: span.toMs))"))
            }
            for silence in lane.unnoticed {
                parts.append(SVG.rect(x: time(silence.fromMs), y: y + 1, width: time(silence.toMs) - time(silence.fromMs),
                                      height: laneHeight - 2, cssClass: "unnoticed", title: silence.title))
            }
            // A buyer that also traded keeps its two bars apart: the trader's above, its requests below.
            let activity = activities[lane.peer]
            let shared = activity != nil && !lane.traderSpans.isEmpty
            let traderBand = shared ? (top: 0.1, height: 0.42) : (top: 0.25, height: 0.5)
            for span in lane.traderSpans {
                let x = time(span.fromMs)
                let width = time(span.toMs) - x
                parts.append(SVG.rect(x: x, y: y + laneHeight * traderBand.top, width: width, height: laneHeight * traderBand.height,
                                      cssClass: "trader",
                                      title: "P\(lane.peer) trader in epoch \(span.epoch), \(Duration.text(ms: span.fromMs))–\(Duration.text(ms: span.toMs))"))
                if width > 34, laneHeight >= 12 {
                    let middle = y + laneHeight * (traderBand.top + traderBand.height / 2)
                    parts.append(SVG.text("epoch \(span.epoch)", x: x + 3, y: middle + (shared ? 3 : 3.5), cssClass: shared ? "on-trader small" : "on-trader"))
                }
            }
            if let activity {
                parts += shared ? activity.parts(time: time, top: y + laneHeight * 0.56, height: laneHeight * 0.36)
                                : activity.parts(time: time, top: y + laneHeight * 0.2, height: laneHeight * 0.6)
            }
            for fault in lane.faults where fault.kind != .downAtStart {
                parts.append(faultMark(fault, x: time(fault.atMs), y: y + laneHeight / 2, size: min(laneHeight * 0.4, 6)))
            }
        }
        let rowOf = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($1.peer, $0) })
        for election in context.chronicle.elections {
            guard let at = election.startedMs ?? election.finishedMs else { continue }
            if let initiator = election.initiator, let row = rowOf[initiator] {
                let x = time(at)
                let y = top + laneHeight * (Double(row) + 0.5)
                let size = min(laneHeight * 0.45, 6)
                parts.append("<path d=\"M\(SVG.number(x)) \(SVG.number(y - size))l\(SVG.number(size)) \(SVG.number(size))l-\(SVG.number(size)) \(SVG.number(size))l-\(SVG.number(size)) -\(SVG.number(size))z\" "
                    + "class=\"initiator\"><title>\(SVG.escape(context.electionTitle(election)))</title></path>")
            }
        }
        // A view change: a tick over the trader's lane when its first decision committed.
        for change in context.chronicle.viewChanges {
            guard let row = rowOf[change.trader] else { continue }
            let x = time(change.atMs)
            let y = top + laneHeight * Double(row)
            let what = [change.dropped.isEmpty ? nil : "dropped " + Self.peerList(change.dropped),
                        change.readmitted.isEmpty ? nil : "readmitted " + Self.peerList(change.readmitted)].compactMap { $0 }
            parts.append(SVG.rect(x: x - 0.75, y: y, width: 1.5, height: laneHeight, cssClass: "view-change",
                                  title: "P\(change.trader) epoch \(change.epoch) view \(change.view) from \(Duration.text(ms: change.atMs)): "
                                      + what.joined(separator: ", ") + "; waits for " + Self.peerList(change.members)))
        }
        parts += notes.parts
        let labels = EpochList.labels(context, y: top - 4)
        parts += labels.parts
        if let window = spaceTimeWindow(context) {
            let x1 = time(window.lowerBound)
            let x2 = max(time(window.upperBound), x1 + 2)
            parts.append(SVG.rect(x: x1, y: top + plotHeight + 1, width: x2 - x1, height: 3, cssClass: "window",
                                  title: "the space-time diagram's window"))
        }
        parts += context.timeAxis(y: top + plotHeight + 4)
        let svg = SVG.frame(width: ReportContext.width, height: height, label: "timeline of every peer", parts)
        var caption = "A lane per peer over the run's wall-clock time: grey up, orange sick, red crashed, "
            + "purple resigned, brown unreachable (its host cut off), green recovering (from its recover until the next election ends, at most 1 s), "
            + "dark grey down from the start; the blue bar is the peer trading, by epoch; violet bands are elections "
            + "(from the start the history records for each to its end), "
            + "◆ marks the peer that started one, ✕ crash, ! sick, ▼ resign, ▲ recover. "
            + buyerCaption(activities)
        if !context.chronicle.nemesis.isEmpty {
            caption += " Amber bands are the nemesis's actions on the links, each from its start to the heal that ended it "
                + "(on hover: the kind, the sides and the links cut)."
        }
        if !context.chronicle.viewChanges.isEmpty {
            caption += " A dark tick on a trader's lane is a view change: a buyer dropped from those it waits for "
                + "(silent past the suspect time) or readmitted, drawn when the first decision made without it (or with it again) "
                + "committed."
        }
        if lanes.contains(where: { !$0.unnoticed.isEmpty }) {
            caption += " Hatched: a trader gone silent that no peer had noticed yet, from its fault to the start of the election "
                + "that found it (a silent trader is found only by timeout); under the axis, a bracket gives each stretch's length."
        }
        if !labels.dropped.isEmpty {
            caption += " \(labels.dropped.count) of the \(context.chronicle.elections.count) epoch labels would overlap and are left out "
                + "of the drawing; the list of epochs below names every one."
        }
        caption += " Hover for details."
        return ReportSection(id: "timeline", title: "Timeline", caption: caption, count: lanes.count,
                             body: svg + "\n" + legend(activities, nemesis: !context.chronicle.nemesis.isEmpty) + "\n" + EpochList.html(context, crowded: !labels.dropped.isEmpty))
    }

    /// How to read the buyers' lanes, which depends on how many requests there are.
    static func buyerCaption(_ activities: [PeerID: BuyerActivity]) -> String {
        let requests = activities.values.reduce(0) { $0 + $1.requests }
        guard requests > 0 else { return "No buyer made a request." }
        let bar = "from when the trader received it to when it was decided, blue bought, orange failed (hover for the reason)"
        guard let summarized = activities.values.first(where: \.isSummarized) else {
            return "On a buyer's lane, each request is a bar \(bar)."
        }
        var text = "On a buyer's lane, \(requests) requests are too many for a bar each: a strip gives the share of the buyer's "
            + "decisions bought (blue) and failed (orange, on top) per \(Duration.text(ms: summarized.columnMs)) (hover for its totals "
            + "and reasons); waits over \(Duration.text(ms: summarized.columnMs * BuyerActivity.longWaitColumns)) and pending "
            + "requests stay thin bars \(bar)"
        let leftOut = activities.values.reduce(0) { $0 + $1.leftOut }
        if leftOut > 0 { text += " (\(leftOut) of them left out, an even sample kept)" }
        return text + "."
    }

    /// `1 3` as `P1 P3`; `nobody` for none.
    static func peerList(_ list: String) -> String {
        let names = list.split(separator: " ").map { "P\($0)" }
        return names.isEmpty ? "nobody" : names.joined(separator: " ")
    }

    static func faultMark(_ fault: RunChronicle.Fault, x: Double, y: Double, size: Double) -> String {
        let title = "<title>P\(fault.peer) \(fault.kind.rawValue) at \(SVG.escape(Duration.text(ms: fault.atMs)))</title>"
        let (glyph, cssClass) = switch fault.kind {
        case .crash: ("✕", "mark-crash")
        case .sick: ("!", "mark-sick")
        case .resign: ("▼", "mark-resign")
        default: ("▲", "mark-recover")
        }
        return "<text x=\"\(SVG.number(x))\" y=\"\(SVG.number(y + size * 0.7))\" font-size=\"\(SVG.number(size * 2.2))\" "
            + "class=\"\(cssClass)\" text-anchor=\"middle\">\(glyph)\(title)</text>"
    }

    static func spaceTimeWindow(_ context: ReportContext) -> ClosedRange<Double>? {
        let times = context.chronicle.messages.compactMap(\.receivedMs)
        guard let first = times.min(), let last = times.max() else { return nil }
        return first...last
    }

    static func legend(_ activities: [PeerID: BuyerActivity], nemesis: Bool = false) -> String {
        var items = [("up", "up"), ("sick", "sick"), ("unnoticed", "silent, not yet noticed"), ("crashed", "crashed"),
                     ("resigned", "resigned"), ("unreachable", "unreachable"), ("recovering", "recovering"), ("down", "down from the start"), ("trader", "trader"),
                     ("election", "election"), ("window", "the space-time diagram's window")]
        if nemesis { items.insert(("nemesis", "links cut (nemesis)"), at: items.count - 1) }
        if !activities.isEmpty { items.insert(contentsOf: [("req-bought", "request bought"), ("req-failed", "request failed")], at: 2) }
        return "<p class=\"legend\">" + items.map { "<span class=\"key \($0.0)\"></span>\($0.1)" }.joined(separator: " ") + "</p>"
    }
}
