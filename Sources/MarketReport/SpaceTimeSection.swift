import MarketCore
import MarketStore

/// Traced messages as a space-time diagram: a lane per peer, time downwards in Lamport clock
/// values, an arrow per message from its send clock to its receive clock.
enum SpaceTimeSection {
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
        var violations = 0
        let arrows = messages.map { message in
            let received = message.recvClock!
            let group = message.sendClock < received ? kindGroup(message.kind) : "bad"
            if group == "bad" { violations += 1 }
            let when = message.receivedMs.map { ", received at \(Duration.text(ms: $0))" } ?? ""
            return SpaceTimeDiagram.Arrow(from: message.fromID, to: message.toID, sent: message.sendClock, received: received, group: group,
                                          label: "\(message.kind) \(message.sendClock)→\(received)",
                                          title: "#\(message.msgID) \(message.kind) P\(message.fromID)→P\(message.toID): "
                                              + "sent at clock \(message.sendClock), received at clock \(received)\(when)")
        }
        let diagram = SpaceTimeDiagram(lanes: peers.map { (id: $0, label: context.peerLabels[$0] ?? "P\($0)") }, arrows: arrows, axisLabel: "Lamport clock")
        let svg = diagram.svg(label: "space-time diagram of traced messages")
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
