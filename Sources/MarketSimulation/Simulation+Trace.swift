import MarketCore

/// How the simulator writes its events and virtual times in a trace.
extension Simulation {
    static func describe(_ event: SimEvent) -> String {
        switch event {
        case .start(let id): "P\(id) starts"
        case .restart(let id, _): "P\(id) restarts after a crash"
        case .deliver(let e): "P\(e.from)→P\(e.to) @\(e.clock) \(e.message)"
        case .timer(let id, let timer, _): "P\(id) timer \(timer)"
        case .persisted(let id, _): "P\(id) store request completes"
        case .command(let id, let command): "P\(id) command \(command)"
        case .peerGone(let observer, let gone): "P\(observer) sees P\(gone) gone"
        case .armPause: "the next committing trader will be paused"
        case .resume(let id): "P\(id) resumes"
        case .stall(let from, let to, let until): "the link P\(from)→P\(to) stalls until \(format(until))"
        case .forge: "a frame claiming an epoch nobody won is sent"
        case .nemesis(let step): describe(step.action)
        }
    }

    static func describe(_ action: NemesisStep.Action) -> String {
        switch action {
        case .heal: "the nemesis heals every link"
        case .isolateTrader: "the nemesis isolates the trader"
        case .cut(let cut): "the nemesis (\(cut.kind.rawValue)) cuts \(cut.linksText.isEmpty ? "no link" : cut.linksText)"
        }
    }

    public static func format(_ duration: Duration) -> String {
        let (ms, micros) = (duration.nanoseconds / 1000).quotientAndRemainder(dividingBy: 1000)
        return "\(ms).\(String(repeating: "0", count: 3 - String(micros).count))\(micros)ms"
    }
}
