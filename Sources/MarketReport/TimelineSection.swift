import MarketStore

/// A lane per peer over the run's time: its states, its spans as trader, the elections.
enum TimelineSection {
    /// At most this many elections are listed under the drawing; every one is drawn.
    static let listedElections = 40

    static func make(_ context: ReportContext) -> ReportSection {
        let peers = context.inspection.peers.map { (id: $0.peer, label: context.peerLabels[$0.peer] ?? "P\($0.peer)", downAtStart: $0.downAtStart) }
        let lanes = PeerLane.lanes(peers: peers, chronicle: context.chronicle)
        let laneHeight = max(8, min(22, 560 / Double(max(lanes.count, 1))))
        let top = 22.0
        let height = top + laneHeight * Double(lanes.count) + 24
        let time = context.time
        var parts: [String] = []
        let plotHeight = laneHeight * Double(lanes.count)
        for (row, lane) in lanes.enumerated() {
            let y = top + laneHeight * Double(row)
            parts.append(SVG.rect(x: time.range.lowerBound, y: y + 1, width: time.range.upperBound - time.range.lowerBound,
                                  height: laneHeight - 2, cssClass: "up"))
            // Many thin lanes get short labels; the full one is on hover.
            let fontSize = min(11, laneHeight * 0.85)
            let label = lanes.count > 32 ? "P\(lane.peer)" : lane.label
            parts.append("<text x=\"\(SVG.number(ReportContext.left - 6))\" y=\"\(SVG.number(y + laneHeight / 2 + fontSize / 3))\" "
                + "class=\"lane\" text-anchor=\"end\" font-size=\"\(SVG.number(fontSize))\">\(SVG.escape(label))"
                + "<title>\(SVG.escape(lane.label))</title></text>")
        }
        parts += context.electionBands(top: top, height: plotHeight)
        for (row, lane) in lanes.enumerated() {
            let y = top + laneHeight * Double(row)
            for span in lane.spans {
                parts.append(SVG.rect(x: time(span.fromMs), y: y + 1, width: time(span.toMs) - time(span.fromMs), height: laneHeight - 2,
                                      cssClass: span.state.rawValue,
                                      title: "P\(lane.peer) \(span.state.label) \(Duration.text(ms: span.fromMs))–\(Duration.text(ms: span.toMs))"))
            }
            for span in lane.traderSpans {
                let x = time(span.fromMs)
                let width = time(span.toMs) - x
                parts.append(SVG.rect(x: x, y: y + laneHeight * 0.25, width: width, height: laneHeight * 0.5, cssClass: "trader",
                                      title: "P\(lane.peer) trader in epoch \(span.epoch), \(Duration.text(ms: span.fromMs))–\(Duration.text(ms: span.toMs))"))
                if width > 34, laneHeight >= 12 {
                    parts.append(SVG.text("epoch \(span.epoch)", x: x + 3, y: y + laneHeight / 2 + 3.5, cssClass: "on-trader"))
                }
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
        parts += electionLabels(context, y: top - 6)
        if let window = spaceTimeWindow(context) {
            let x1 = time(window.lowerBound)
            let x2 = max(time(window.upperBound), x1 + 2)
            parts.append(SVG.rect(x: x1, y: top + plotHeight + 1, width: x2 - x1, height: 3, cssClass: "window",
                                  title: "the space-time diagram's window"))
        }
        parts += context.timeAxis(y: top + plotHeight + 4)
        let svg = SVG.frame(width: ReportContext.width, height: height, label: "timeline of every peer", parts)
        let caption = "A lane per peer over the run's wall-clock time: grey up, orange sick, red crashed, "
            + "purple resigned, green recovering (from its recover until the next election ends, at most 1 s), "
            + "dark grey down from the start; the blue bar is the peer trading, by epoch; violet bands are elections "
            + "(from the start the history records for each to its end), "
            + "◆ marks the peer that started one, ✕ crash, ! sick, ▼ resign, ▲ recover. Hover for details."
        return ReportSection(id: "timeline", title: "Timeline", caption: caption, count: lanes.count,
                             body: svg + "\n" + legend() + "\n" + electionList(context))
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

    /// "e2" over each election, skipping labels that would overlap the previous one.
    static func electionLabels(_ context: ReportContext, y: Double) -> [String] {
        var parts: [String] = []
        var lastX = -Double.infinity
        for election in context.chronicle.elections {
            guard let at = election.finishedMs ?? election.startedMs else { continue }
            let x = context.time(at)
            guard x - lastX > 22 else { continue }
            lastX = x
            parts.append(SVG.text("e\(election.epoch)", x: x, y: y, cssClass: "elabel", anchor: "middle"))
        }
        return parts
    }

    static func spaceTimeWindow(_ context: ReportContext) -> ClosedRange<Double>? {
        let times = context.chronicle.messages.compactMap(\.receivedMs)
        guard let first = times.min(), let last = times.max() else { return nil }
        return first...last
    }

    static func legend() -> String {
        let items = [("up", "up"), ("sick", "sick"), ("crashed", "crashed"), ("resigned", "resigned"), ("recovering", "recovering"),
                     ("down", "down from the start"), ("trader", "trader"), ("election", "election"),
                     ("window", "the space-time diagram's window")]
        return "<p class=\"legend\">" + items.map { "<span class=\"key \($0.0)\"></span>\($0.1)" }.joined(separator: " ") + "</p>"
    }

    static func electionList(_ context: ReportContext) -> String {
        let elections = context.chronicle.elections
        guard !elections.isEmpty else { return "<p class=\"note\">No election has finished yet.</p>" }
        var rows = elections.prefix(listedElections).map { election in
            let took = election.startedMs.flatMap { start in election.finishedMs.map { Duration.text(ms: $0 - start) } } ?? "–"
            return "<tr><td>e\(election.epoch)</td><td>\(election.startedMs.map { Duration.text(ms: $0) } ?? "–")</td><td>\(took)</td>"
                + "<td>\(SVG.escape(election.reason ?? "–"))</td><td>\(election.initiator.map { "P\($0)" } ?? "–")</td><td>P\(election.winner)</td></tr>"
        }
        if elections.count > listedElections {
            rows.append("<tr><td colspan=\"6\">… and \(elections.count - listedElections) more (all are drawn above)</td></tr>")
        }
        return "<details><summary>Elections (\(elections.count))</summary><table class=\"books\"><thead><tr><th>epoch</th><th>started</th>"
            + "<th>took</th><th>reason</th><th>initiator</th><th>winner</th></tr></thead><tbody>"
            + rows.joined() + "</tbody></table></details>"
    }
}
