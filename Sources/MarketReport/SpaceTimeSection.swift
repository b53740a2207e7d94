import MarketCore
import MarketStore

/// Traced messages as a space-time diagram: a lane per peer, time downwards in Lamport clock
/// values, an arrow per message from its send clock to its receive clock.
enum SpaceTimeSection {
    static let rowHeight = 13.0
    static let header = 44.0

    static func make(_ context: ReportContext) -> ReportSection {
        let chronicle = context.chronicle
        let messages = chronicle.messages.filter { $0.recvClock != nil }
        guard !messages.isEmpty else {
            let caption = chronicle.messageCount == 0
                ? "This run was not traced (run it with market run --trace to record its messages): nothing to draw."
                : "The window \(context.input.windowLabel) holds none of the run's \(chronicle.messageCount) traced messages; pick another with --window."
            return ReportSection(id: "spacetime", title: "Space-time diagram", caption: caption, count: 0, body: "")
        }
        let peers = Array(Set(messages.flatMap { [$0.fromID, $0.toID] })).sorted()
        let clocks = Array(Set(messages.flatMap { [$0.sendClock, $0.recvClock!] })).sorted()
        let row = Dictionary(uniqueKeysWithValues: clocks.enumerated().map { ($1, $0) })
        let left = 56.0
        let spacing = min(250, (ReportContext.width - left - 70) / Double(max(peers.count - 1, 1)))
        let column = Dictionary(uniqueKeysWithValues: peers.enumerated().map { ($1, left + 30 + spacing * Double($0)) })
        let y = { (clock: Int64) -> Double in header + rowHeight * (Double(row[clock]!) + 0.5) }
        let height = header + rowHeight * Double(clocks.count) + 8
        var parts = ["<defs>" + ["msg", "vote", "beat", "sell", "bad"].map { kind in
            "<marker id=\"head-\(kind)\" viewBox=\"0 0 8 8\" refX=\"7.5\" refY=\"4\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
                + "<path d=\"M0 0L8 4L0 8z\" class=\"head-\(kind)\"/></marker>"
        }.joined() + "</defs>"]
        for peer in peers {
            let x = column[peer]!
            parts.append(SVG.line(x1: x, y1: header - 6, x2: x, y2: height - 4, cssClass: "lifeline"))
            parts.append(SVG.text(context.peerLabels[peer] ?? "P\(peer)", x: x, y: header - 12, cssClass: "lane", anchor: "middle"))
        }
        let labelEvery = max(1, clocks.count / 60)
        for (index, clock) in clocks.enumerated() where index % labelEvery == 0 {
            parts.append(SVG.text(String(clock), x: left - 8, y: y(clock) + 3.5, cssClass: "tick", anchor: "end"))
        }
        parts.append(SVG.text("Lamport clock", x: 2, y: 12, cssClass: "tick"))
        var violations = 0
        for message in messages {
            let received = message.recvClock!
            let group = message.sendClock < received ? kindGroup(message.kind) : "bad"
            if group == "bad" { violations += 1 }
            let (x1, y1, x2, y2) = (column[message.fromID]!, y(message.sendClock), column[message.toID]!, y(received))
            let when = message.receivedMs.map { ", received at \(Duration.text(ms: $0))" } ?? ""
            parts.append("<g class=\"msg \(group)\"><title>#\(message.msgID) \(SVG.escape(message.kind)) P\(message.fromID)→P\(message.toID): "
                + "sent at clock \(message.sendClock), received at clock \(received)\(when)</title>"
                + SVG.line(x1: x1, y1: y1, x2: x2, y2: y2, cssClass: "arrow", extra: " marker-end=\"url(#head-\(group))\"")
                + SVG.circle(x: x1, y: y1, radius: 1.8, cssClass: "event")
                + SVG.text("\(message.kind) \(message.sendClock)→\(received)", x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 2,
                           cssClass: "mlabel", anchor: "middle")
                + "</g>")
        }
        let svg = SVG.frame(width: ReportContext.width, height: height, label: "space-time diagram of traced messages", parts)
        let first = messages.compactMap(\.receivedMs).min() ?? 0
        let last = messages.compactMap(\.receivedMs).max() ?? 0
        let sentKnown = messages.contains { $0.sentMs != nil }
        var caption = "Window \(context.input.windowLabel): \(messages.count) of the run's \(chronicle.messageCount) traced messages, "
            + "received \(Duration.text(ms: first))–\(Duration.text(ms: last)). Time runs down in Lamport clock values "
            + "(one row per value that occurs, gaps closed up), not wall time: each arrow leaves its sender at the clock it was stamped "
            + "with and reaches its receiver at the receiver's clock after taking it in, so every arrow pointing down is Lamport's "
            + "clock condition holding\(violations > 0 ? " — \(violations) in red do not" : "")."
        caption += sentKnown ? "" : " Only the receiving side is traced (sent_at is empty), so send times are not drawn; "
            + "messages that were never received, or were received by a peer that crashed before writing its trace, are missing."
        let crashed = chronicle.faults.filter { $0.kind == .crash && $0.atMs <= last }.map { "P\($0.peer)" }
        if !crashed.isEmpty {
            caption += " Crashed by then: \(Array(Set(crashed)).sorted().joined(separator: ", ")); a crash loses the trace it had not yet written."
        }
        if messages.contains(where: { $0.sendClock < 10 }), chronicle.faults.contains(where: { $0.kind == .crash }) {
            caption += " A crashed peer comes back with nothing but the database, so its clock starts again from 0."
        }
        caption += " Violet: election, ok, coordinator, resign; blue: buying; green: deposits and payouts; grey: heartbeats."
        return ReportSection(id: "spacetime", title: "Space-time diagram", caption: caption, count: messages.count, body: svg)
    }

    static func kindGroup(_ kind: String) -> String {
        switch kind {
        case "election", "ok", "coordinator", "resign": "vote"
        case "heartbeat": "beat"
        case "deposit", "deposit_accepted", "payout", "delivered": "sell"
        default: "msg"
        }
    }
}
