import MarketCore
import MarketStore

/// What one peer was doing over the run, for its lane in the timeline.
struct PeerLane {
    enum State: String {
        case down, sick, crashed, resigned, recovering, unreachable

        var label: String {
            switch self {
            case .down: "down from the start"
            case .sick: "sick (silent)"
            case .crashed: "crashed"
            case .resigned: "resigned"
            case .recovering: "recovering"
            case .unreachable: "unreachable (its host cut off)"
            }
        }
    }

    struct Span {
        var state: State
        var fromMs: Double
        var toMs: Double
    }

    struct TraderSpan {
        var epoch: Epoch
        var fromMs: Double
        var toMs: Double
    }

    var peer: PeerID
    var label: String
    var spans: [Span] = []
    var traderSpans: [TraderSpan] = []
    var faults: [RunChronicle.Fault] = []
    var unnoticed: [UnnoticedSilence] = []

    /// One lane per peer of the run. A peer is up unless a fault says otherwise; after its
    /// `recover` it is recovering until the next election that ends after it (the one that
    /// tells it who trades), or at most `recoveryCapMs`.
    static func lanes(peers: [(id: PeerID, label: String, downAtStart: Bool)], chronicle: RunChronicle,
                      recoveryCapMs: Double = 1000) -> [PeerLane] {
        let end = chronicle.endMs
        let electionEnds = chronicle.elections.compactMap(\.finishedMs).sorted()
        var lanes = peers.map { PeerLane(peer: $0.id, label: $0.label) }
        let index = Dictionary(uniqueKeysWithValues: lanes.enumerated().map { ($1.peer, $0) })
        var open: [PeerID: (State, Double)] = [:]
        for peer in peers where peer.downAtStart { open[peer.id] = (.down, 0) }
        for fault in chronicle.faults {
            guard let lane = index[fault.peer] else { continue }
            lanes[lane].faults.append(fault)
            if let (state, from) = open.removeValue(forKey: fault.peer) {
                lanes[lane].spans.append(Span(state: state, fromMs: from, toMs: max(from, fault.atMs)))
            }
            switch fault.kind {
            case .sick: open[fault.peer] = (.sick, fault.atMs)
            case .crash: open[fault.peer] = (.crashed, fault.atMs)
            case .resign: open[fault.peer] = (.resigned, fault.atMs)
            case .downAtStart: open[fault.peer] = (.down, fault.atMs)
            case .unreachable: open[fault.peer] = (.unreachable, fault.atMs)
            case .recover:
                let settled = electionEnds.first { $0 > fault.atMs } ?? end
                let until = min(settled, fault.atMs + recoveryCapMs, end)
                if until > fault.atMs {
                    lanes[lane].spans.append(Span(state: .recovering, fromMs: fault.atMs, toMs: until))
                }
            default: break
            }
        }
        for (peer, (state, from)) in open {
            if let lane = index[peer] { lanes[lane].spans.append(Span(state: state, fromMs: from, toMs: max(from, end))) }
        }
        let spans = traderSpans(chronicle)
        for span in spans {
            if let lane = index[span.peer] { lanes[lane].traderSpans.append(span.span) }
        }
        for silence in UnnoticedSilence.find(chronicle, traderSpans: spans) {
            if let lane = index[silence.peer] { lanes[lane].unnoticed.append(silence) }
        }
        return lanes
    }

    /// Who traded when: from the end of the election that gave a peer its epoch until the
    /// next election began, or the trader fell sick, crashed or resigned, whichever came first.
    /// An election's recorded start can be older than the trading it ended (a start noted by
    /// an election that ended without a new epoch stays until the next claim): a trader that
    /// decided requests after it is taken to have traded until that election ended.
    static func traderSpans(_ chronicle: RunChronicle) -> [(peer: PeerID, span: TraderSpan)] {
        let elections = chronicle.elections
        var lastDecision: [Epoch: Double] = [:]
        for request in chronicle.requests {
            guard let epoch = request.epochDecided, let decided = request.decidedMs else { continue }
            lastDecision[epoch] = max(lastDecision[epoch] ?? decided, decided)
        }
        var result: [(PeerID, TraderSpan)] = []
        for (position, election) in elections.enumerated() {
            guard let from = election.finishedMs else { continue }
            var until = chronicle.endMs
            if position + 1 < elections.count {
                let next = elections[position + 1]
                if let started = next.startedMs ?? next.finishedMs {
                    let stale = (lastDecision[election.epoch] ?? -.infinity) > started
                    until = min(until, stale ? (next.finishedMs ?? lastDecision[election.epoch]!) : started)
                }
            }
            if let fault = chronicle.faults.first(where: {
                $0.peer == election.winner && $0.atMs >= from && [.sick, .crash, .resign].contains($0.kind)
            }) {
                until = min(until, fault.atMs)
            }
            result.append((election.winner, TraderSpan(epoch: election.epoch, fromMs: from, toMs: max(from, until))))
        }
        return result
    }
}
