import MarketCore
import MarketSimulation

/// A counterexample's path as the report's space-time diagram: a lane per peer, a row per
/// step (numbered as the path is printed), an arrow per message from the step that sent it to
/// the step that delivered it, and a mark for every other step.
extension SpaceTimeDiagram {
    public init(path replay: ExplorationReplay, roles: [PeerID: String] = [:]) {
        let peers = replay.finalState.nodes.indices
        let last = Int64(replay.steps.count)
        let arrows = replay.messages.map { message in
            let envelope = message.envelope
            let kind = "\(envelope.message.kind)"
            let sent = Int64(message.sentAt)
            let route = "P\(message.from)→P\(message.to) \(kind) stamped \(envelope.clock), sent at step \(message.sentAt)"
            switch message.fate {
            case .delivered(let step, let clock):
                let group = envelope.clock < clock ? SpaceTimeSection.kindGroup(kind) : "bad"
                return Arrow(from: message.from, to: message.to, sent: sent, received: Int64(step), group: group,
                             label: "\(kind) @\(envelope.clock)", title: "\(route), taken in at step \(step) (clock \(clock))")
            case .dropped(let step):
                return Arrow(from: message.from, to: message.to, sent: sent, received: Int64(step), group: "lost",
                             label: "\(kind) lost", title: "\(route), lost on the link at step \(step)")
            case .lostInCrash(let step):
                return Arrow(from: message.from, to: message.to, sent: sent, received: Int64(step), group: "lost",
                             label: "\(kind) lost", title: "\(route), lost with P\(message.to)'s connections at step \(step)")
            case .inFlight:
                return Arrow(from: message.from, to: message.to, sent: sent, received: max(last, sent), group: "lost",
                             label: "\(kind) in flight", title: "\(route), still in flight when the path ends")
            }
        }
        var marks: [Mark] = []
        for (index, step) in replay.steps.enumerated() {
            let number = Int64(index + 1)
            let actor = Self.lane(of: step.action)
            switch step.action {
            case .deliver, .drop:
                // A message's arrow shows it; a close read from a link is a mark.
                if step.description.contains("gone") {
                    marks.append(Mark(peer: actor, at: number, text: "\(number). \(step.description)", title: step.description, fault: false))
                }
            default:
                marks.append(Mark(peer: actor, at: number, text: "\(number). \(step.description)", title: step.description,
                                  fault: step.action.isFault))
            }
            for violation in step.violations {
                marks.append(Mark(peer: actor, at: number, text: "✗ \(violation.kind.rawValue)", title: violation.detail, fault: true))
            }
        }
        if let violation = replay.restViolations.first {
            let trader = replay.finalState.nodes.compactMap(\.peer).first(where: \.isTrader)?.id ?? 0
            marks.append(Mark(peer: trader, at: last + 1, text: "at rest ✗ \(violation.kind.rawValue): \(violation.detail)",
                              title: violation.detail, fault: true))
        }
        let lanes = peers.map { id in (id: id, label: roles[id].map { "P\(id) \($0)" } ?? "P\(id)") }
        self.init(lanes: lanes, arrows: arrows, marks: marks,
                  axisLabel: "step")
    }


    /// The lane a step is drawn on: the peer it is taken by; a lost message: its receiver.
    static func lane(of action: ExplorationAction) -> PeerID {
        if let actor = action.actor { return actor }
        if case .drop(_, let to) = action { return to }
        return 0
    }
}
