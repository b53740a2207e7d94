import MarketCore

/// One step of the explored system: a single enabled action.
public enum ExplorationAction: Hashable, Codable, Sendable {
    /// The head of the link `from → to` reaches `to` (links are FIFO).
    case deliver(from: PeerID, to: PeerID)
    /// A set timer of `peer` fires.
    case fire(PeerID, PeerTimer)
    /// The store carries out the oldest request `peer` asked of it.
    case runStore(PeerID)
    /// The oldest answer of the store reaches `peer` (apart from `runStore`, so a peer can be
    /// caught between a commit and hearing of it).
    case storeResult(PeerID)
    /// The peer's process is killed: memory, timers, store requests not yet run and answers
    /// not yet read are gone; its connections close.
    case crash(PeerID)
    /// A crashed peer starts again with nothing but the store.
    case restart(PeerID)
    /// The peer's process is stopped (SIGSTOP): it takes no step until it resumes.
    case pause(PeerID)
    case resume(PeerID)
    /// The head of the link `from → to` is lost.
    case drop(from: PeerID, to: PeerID)

    /// A fault the explorer injects rather than a step of the protocol itself.
    public var isFault: Bool {
        switch self {
        case .crash, .restart, .pause, .resume, .drop: true
        case .deliver, .fire, .runStore, .storeResult: false
        }
    }

    /// The peer whose node the step changes (nil: a lost message changes links only).
    public var actor: PeerID? {
        switch self {
        case .deliver(_, let to): to
        case .fire(let id, _), .runStore(let id), .storeResult(let id), .crash(let id), .restart(let id),
             .pause(let id), .resume(let id): id
        case .drop: nil
        }
    }

    /// The canonical text form, which `init?(_:)` reads back (a counterexample file holds these).
    public var text: String {
        switch self {
        case .deliver(let from, let to): "deliver P\(from) P\(to)"
        case .fire(let peer, let timer): "timer P\(peer) \(timer)"
        case .runStore(let peer): "store P\(peer)"
        case .storeResult(let peer): "result P\(peer)"
        case .crash(let peer): "crash P\(peer)"
        case .restart(let peer): "restart P\(peer)"
        case .pause(let peer): "pause P\(peer)"
        case .resume(let peer): "resume P\(peer)"
        case .drop(let from, let to): "drop P\(from) P\(to)"
        }
    }

    public init?(_ text: String) {
        let words = text.split(separator: " ").map(String.init)
        func peer(_ index: Int) -> PeerID? {
            guard index < words.count, words[index].first == "P", let id = Int(words[index].dropFirst()), id >= 0 else { return nil }
            return id
        }
        guard let verb = words.first, let first = peer(1) else { return nil }
        switch (verb, words.count) {
        case ("deliver", 3): guard let to = peer(2) else { return nil }; self = .deliver(from: first, to: to)
        case ("drop", 3): guard let to = peer(2) else { return nil }; self = .drop(from: first, to: to)
        case ("timer", 3):
            let timers: [String: PeerTimer] = ["heartbeat": .heartbeat, "election": .election, "coordinator": .coordinator,
                                               "request": .request, "deposit": .deposit]
            guard let timer = timers[words[2]] else { return nil }
            self = .fire(first, timer)
        case ("store", 2): self = .runStore(first)
        case ("result", 2): self = .storeResult(first)
        case ("crash", 2): self = .crash(first)
        case ("restart", 2): self = .restart(first)
        case ("pause", 2): self = .pause(first)
        case ("resume", 2): self = .resume(first)
        default: return nil
        }
    }
}
