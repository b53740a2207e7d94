import MarketCore

/// A space-time diagram: a lane per peer, time downwards in rows (one per value that occurs,
/// gaps closed up), an arrow per message from the row it was sent in to the row it was
/// received in, and marks for what happened on a lane without a message (a crash, a store
/// call). The report draws a run's traced messages with it (rows are Lamport clock values);
/// `market explore --draw` draws a counterexample's path (rows are its step numbers).
public struct SpaceTimeDiagram: Sendable {
    public struct Arrow: Sendable {
        public var from: PeerID
        public var to: PeerID
        public var sent: Int64
        public var received: Int64
        /// The colour group: msg, vote, beat, sell, bad (a broken clock condition), lost.
        public var group: String
        public var label: String
        public var title: String

        public init(from: PeerID, to: PeerID, sent: Int64, received: Int64, group: String, label: String, title: String) {
            self.from = from
            self.to = to
            self.sent = sent
            self.received = received
            self.group = group
            self.label = label
            self.title = title
        }
    }

    public struct Mark: Sendable {
        public var peer: PeerID
        public var at: Int64
        public var text: String
        public var title: String
        /// Drawn as a fault (crash, pause, a broken invariant) rather than a step of the protocol.
        public var fault: Bool

        public init(peer: PeerID, at: Int64, text: String, title: String, fault: Bool) {
            self.peer = peer
            self.at = at
            self.text = text
            self.title = title
            self.fault = fault
        }
    }

    public var lanes: [(id: PeerID, label: String)]
    public var arrows: [Arrow]
    public var marks: [Mark]
    /// What the rows count, written over their numbers.
    public var axisLabel: String

    static let rowHeight = 13.0
    static let header = 44.0

    public init(lanes: [(id: PeerID, label: String)], arrows: [Arrow], marks: [Mark] = [], axisLabel: String) {
        self.lanes = lanes
        self.arrows = arrows
        self.marks = marks
        self.axisLabel = axisLabel
    }

    /// The drawing as one `<svg>` styled by the report's stylesheet.
    public func svg(label: String) -> String {
        let (parts, height) = drawing()
        return SVG.frame(width: ReportContext.width, height: height, label: label, parts)
    }

    /// What the `<svg>` holds, and its height.
    private func drawing() -> (parts: [String], height: Double) {
        let rows = Array(Set(arrows.flatMap { [$0.sent, $0.received] } + marks.map(\.at))).sorted()
        let row = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1, $0) })
        let left = 56.0
        let spacing = min(250, (ReportContext.width - left - 70) / Double(max(lanes.count - 1, 1)))
        let column = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($1.id, left + 30 + spacing * Double($0)) })
        let header = Self.header
        let y = { (value: Int64) -> Double in header + Self.rowHeight * (Double(row[value]!) + 0.5) }
        let height = header + Self.rowHeight * Double(rows.count) + 8
        var parts = ["<defs>" + ["msg", "vote", "beat", "sell", "bad", "lost"].map { kind in
            "<marker id=\"head-\(kind)\" viewBox=\"0 0 8 8\" refX=\"7.5\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
                + "<path d=\"M0 0L8 4L0 8z\" class=\"head-\(kind)\"/></marker>"
        }.joined() + "</defs>"]
        for lane in lanes {
            let x = column[lane.id]!
            parts.append(SVG.line(x1: x, y1: header - 6, x2: x, y2: height - 4, cssClass: "lifeline"))
            parts.append(SVG.text(lane.label, x: x, y: header - 12, cssClass: "lane", anchor: "middle"))
        }
        let labelEvery = max(1, rows.count / 60)
        for (index, value) in rows.enumerated() where index % labelEvery == 0 {
            parts.append(SVG.text(String(value), x: left - 8, y: y(value) + 3.5, cssClass: "tick", anchor: "end"))
        }
        parts.append(SVG.text(axisLabel, x: 2, y: 12, cssClass: "tick"))
        for arrow in arrows {
            guard let x1 = column[arrow.from], let x2 = column[arrow.to] else { continue }
            let (y1, y2) = (y(arrow.sent), y(arrow.received))
            parts.append("<g class=\"msg \(arrow.group)\"><title>\(SVG.escape(arrow.title))</title>"
                + SVG.line(x1: x1, y1: y1, x2: x2, y2: y2, cssClass: "arrow", extra: " marker-end=\"url(#head-\(arrow.group))\"")
                + SVG.circle(x: x1, y: y1, radius: 1.8, cssClass: "event")
                + SVG.text(arrow.label, x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 2, cssClass: "mlabel", anchor: "middle")
                + "</g>")
        }
        for mark in marks {
            guard let x = column[mark.peer] else { continue }
            let cssClass = mark.fault ? "step-mark fault" : "step-mark"
            parts.append("<g class=\"\(cssClass)\"><title>\(SVG.escape(mark.title))</title>"
                + SVG.circle(x: x, y: y(mark.at), radius: mark.fault ? 3.2 : 2.2, cssClass: "mark")
                + SVG.text(mark.text, x: x + 6, y: y(mark.at) + 3, cssClass: "mlabel")
                + "</g>")
        }
        return (parts, height)
    }

    /// What the report's stylesheet lacks for a path: lost messages and lane marks.
    static let pathCSS = """
    .lost .arrow{stroke:#9ca3af;stroke-dasharray:2 3}.head-lost{fill:#9ca3af}
    .step-mark .mark{fill:#475569}.step-mark.fault .mark{fill:#dc2626}.step-mark.fault .mlabel{fill:#991b1b;font-weight:600}
    """

    /// A page holding only this drawing, a title and a caption: it opens offline.
    public func html(title: String, caption: String) -> String {
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>\(SVG.escape(title))</title><style>\(ReportStyle.css)\n\(Self.pathCSS)</style></head><body>"
            + "<h1>\(SVG.escape(title))</h1><p class=\"caption\">\(SVG.escape(caption))</p>\n" + svg(label: title) + "\n</body></html>\n"
    }

    /// The drawing alone, its style inside it, on a white ground and at its own size (an SVG
    /// file is shown at the size it gives, not a page's width).
    public func standaloneSVG(title: String) -> String {
        let (parts, height) = drawing()
        let (width, tall) = (SVG.number(ReportContext.width), SVG.number(height))
        return "<svg viewBox=\"0 0 \(width) \(tall)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(tall)\" role=\"img\" aria-label=\"\(SVG.escape(title))\">\n"
            + "<style>svg{font:14px system-ui,sans-serif}\(ReportStyle.css)\n\(Self.pathCSS)</style>\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
            + SVG.text(title, x: 60, y: 12, cssClass: "lane") + "\n"
            + parts.joined(separator: "\n") + "\n</svg>\n"
    }
}
