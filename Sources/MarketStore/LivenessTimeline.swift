import MarketCore

/// A run's history as times in microseconds, for `LivenessFigures`: the elections, the faults
/// that can cost a trader, the nemesis's cut windows, and the decisions.
struct LivenessTimeline {
    struct Election {
        var epoch: Epoch
        var winner: PeerID
        var reason: String?
        /// When it started (its finish when the start was not recorded).
        var started: Int64
        var finished: Int64?
    }

    struct Fault {
        var peer: PeerID
        var kind: FaultKind
        var at: Int64
    }

    /// From an action to its heal; a flaky action's redraws stay in one window, their links together.
    struct Window {
        var start: Int64
        var heal: Int64?
        var links: Set<DirectedLink>
    }

    struct Request {
        var id: String
        var buyer: PeerID
        var seq: Int
        var decided: Int64?
    }

    enum Cause: Equatable {
        case startup, higherPeerBack, lostTrader, partition, heal, unexplained
    }

    let elections: [Election]
    let faults: [Fault]
    let windows: [Window]
    let requests: [Request]
    /// Every decision's time, in order.
    let decisionTimes: [Int64]
    /// The first request received and the last decided.
    let spanStart: Int64?
    let spanEnd: Int64?

    init(elections: [ElectionRecord], faults: [FaultRecord], nemesis: [NemesisRecord], requests: [RequestRecord]) {
        func time(_ text: String?) -> Int64? { text.flatMap(Timestamp.parse) }
        self.elections = elections.compactMap { record in
            guard let started = time(record.startedAt) ?? time(record.finishedAt) else { return nil }
            return Election(epoch: record.epoch, winner: record.winner, reason: record.reason, started: started,
                            finished: time(record.finishedAt))
        }.sorted { $0.epoch < $1.epoch }
        self.faults = faults.compactMap { record in time(record.at).map { Fault(peer: record.peer, kind: record.kind, at: $0) } }
            .sorted { $0.at < $1.at }
        var windows: [Window] = []
        for row in nemesis {
            guard let at = time(row.at) else { continue }
            if row.isHeal {
                if let last = windows.last, last.heal == nil { windows[windows.count - 1].heal = at }
            } else {
                let links = NemesisCut.links(row.links) ?? []
                if let last = windows.last, last.heal == nil {
                    windows[windows.count - 1].links.formUnion(links)
                } else {
                    windows.append(Window(start: at, heal: nil, links: links))
                }
            }
        }
        self.windows = windows
        self.requests = requests.compactMap { record in
            guard let id = RequestID(record.requestID) else { return nil }
            return Request(id: record.requestID, buyer: record.buyer, seq: id.seq,
                           decided: record.status == .pending ? nil : time(record.decidedAt))
        }
        decisionTimes = self.requests.compactMap(\.decided).sorted()
        spanStart = requests.compactMap { time($0.receivedAt) }.min()
        spanEnd = decisionTimes.last
    }

    /// The peer trading at `time`: the winner of the last election finished by then.
    func trader(at time: Int64) -> PeerID? {
        elections.last { ($0.finished ?? $0.started) <= time }?.winner
    }

    func electionInFlight(at time: Int64) -> Bool {
        elections.contains { $0.started <= time && time < ($0.finished ?? $0.started) }
    }

    /// The rule is `LivenessFigures`'s.
    func cause(of election: Election, healWindow: Int64) -> Cause {
        if election.epoch == elections.first?.epoch || election.reason == ElectionReason.startup.rawValue { return .startup }
        if election.reason == ElectionReason.recovery.rawValue || election.reason == ElectionReason.lowerTrader.rawValue {
            return .higherPeerBack
        }
        if election.reason == ElectionReason.resign.rawValue { return .lostTrader }
        let start = election.started
        var open: [(at: Int64, cause: Cause)] = []
        for fault in faults where fault.at <= start && Self.losesTrader(fault.kind) {
            let trading = trader(at: fault.at)
            guard trading == nil || trading == fault.peer else { continue }
            let back = faults.contains { $0.peer == fault.peer && $0.at > fault.at && $0.at <= start && Self.bringsBack($0.kind) }
            if !back { open.append((fault.at, .lostTrader)) }
        }
        for window in windows where window.start <= start {
            if window.heal.map({ start < $0 }) ?? true {
                open.append((window.start, .partition))
            } else if let heal = window.heal, start < heal + healWindow {
                open.append((heal, .heal))
            }
        }
        return open.max { $0.at < $1.at }?.cause ?? .unexplained
    }

    /// The window whose heal came at most `within` before `time`, the latest such.
    func windowOfHeal(before time: Int64, within: Int64) -> Int? {
        windows.indices.last { index in
            guard let heal = windows[index].heal else { return false }
            return heal <= time && time < heal + within
        }
    }

    /// From each fault that cost the trader to the first decision after the next election ended.
    var failovers: [(Int64, Int64)] {
        faults.filter { Self.losesTrader($0.kind) && (trader(at: $0.at) ?? $0.peer) == $0.peer }.compactMap { fault in
            guard let end = spanEnd else { return nil }
            let elected = elections.first { ($0.finished ?? $0.started) >= fault.at }.map { $0.finished ?? $0.started }
            let resumed = elected.flatMap { elected in decisionTimes.first { $0 >= elected } }
            return (fault.at, resumed ?? end)
        }
    }

    /// What cut-off buyers had in hand across each cut, and what became of it.
    func cutOffRequests(trades: [String]) -> LivenessFigures.CutOffRequests {
        var tradesPerRequest: [String: Int] = [:]
        for id in trades { tradesPerRequest[id, default: 0] += 1 }
        let byBuyer = Dictionary(grouping: requests, by: \.buyer).mapValues { $0.sorted { $0.seq < $1.seq } }
        var counted: Set<String> = []
        var figures = LivenessFigures.CutOffRequests()
        for window in windows {
            guard let trader = trader(at: window.start) else { continue }
            for (buyer, requests) in byBuyer.sorted(by: { $0.key < $1.key }) where buyer != trader {
                guard window.links.contains(DirectedLink(buyer, trader)) || window.links.contains(DirectedLink(trader, buyer)),
                      let held = requests.first(where: { $0.decided.map { $0 >= window.start } ?? true }),
                      counted.insert(held.id).inserted else { continue }
                figures.held += 1
                if let decided = held.decided {
                    if let heal = window.heal, decided >= heal { figures.decidedAfterHeal += 1 } else { figures.decidedWhileCut += 1 }
                } else {
                    figures.neverDecided += 1
                }
                if tradesPerRequest[held.id, default: 0] > 1 { figures.decidedTwice += 1 }
            }
        }
        return figures
    }

    static func losesTrader(_ kind: FaultKind) -> Bool { [.sick, .crash, .resign, .unreachable].contains(kind) }
    static func bringsBack(_ kind: FaultKind) -> Bool { [.recover, .reachable].contains(kind) }
}
