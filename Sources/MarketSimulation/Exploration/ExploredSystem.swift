import MarketCore

/// One state of the whole market as the explorer sees it: every peer's state machine, every
/// FIFO link's messages in flight, each peer's store requests and answers, the store, the
/// timers and what is left of the fault budgets. Equal values are one state.
///
/// Time is abstract: a set timer may fire at any step, whatever else is pending, and `now`
/// (what the core reads) becomes the later of itself and the timer's deadline; every other
/// step happens at the current `now`. This over-approximates real timing (a message may take
/// arbitrarily long, a timer may fire late): whatever a real run can do, some path here does.
public struct ExploredSystem: Hashable {
    /// A peer's process as the explorer sees it.
    public struct Node: Hashable, Sendable {
        /// Nil: crashed (or down from the start).
        public var peer: Peer?
        public var downAtStart: Bool
        public var incarnation = 0
        /// Deadlines of the set timers.
        public var timers: [PeerTimer: Duration] = [:]
        /// How often each timer fired, across incarnations (bounded by `timerFirings`).
        public var fired: [PeerTimer: Int] = [:]
        /// Store requests asked and not yet run, in order.
        public var storeRequests: [StoreRequest] = []
        /// Answers of the store not yet read, in order.
        public var storeResults: [StoreResult] = []
        public var paused = false

        var crashed: Bool { peer == nil && !downAtStart }
        /// Takes steps: up and not paused.
        var running: Bool { peer != nil && !paused }
    }

    /// What travels on a link: a message, or the close of the sender's connection (its
    /// process crashed, or a dial to it was refused), which the receiver reads after what
    /// was sent before it, as on a socket.
    public enum LinkItem: Hashable, Sendable {
        case message(Envelope)
        case gone(PeerID)
    }

    public internal(set) var nodes: Nodes
    /// `links[from * count + to]`, oldest first.
    public internal(set) var links: [[LinkItem]]
    /// Shared between states until a step writes to it (then copied).
    public internal(set) var store: InMemoryStore
    public internal(set) var now: Duration = .zero
    public internal(set) var crashes = 0
    public internal(set) var pauses = 0
    public internal(set) var drops = 0
    /// The invariants' incremental checks of the store's history: a function of the store, so
    /// not part of the state's identity.
    @StepScratch var watch = StoreWatch()
    /// Each peer's configuration, the same in every state: what a crashed peer restarts with.
    @StepScratch var configs: [PeerConfig] = []
    /// The store's hash while no step changed it (see `fingerprint()`): a function of the
    /// state, so not part of its identity.
    @StepScratch var storeHashKept: Int? = nil

    public var count: Int { nodes.count }

    /// Every peer that is not down from the start has started, and the scenario's first
    /// election has been called, as the simulator begins.
    public init(_ setup: ExplorationSetup) {
        let scenario = setup.scenario
        let configs = scenario.peers.map { setup.config(for: $0.id) }
        nodes = Nodes(scenario.peers.map { spec in
            Node(peer: spec.downAtStart ? nil : Peer(config: configs[spec.id]), downAtStart: spec.downAtStart)
        })
        self.configs = configs
        links = Array(repeating: [], count: scenario.peers.count * scenario.peers.count)
        store = InMemoryStore(fencing: setup.fencing)
        var ignored: [Violation] = []
        for id in nodes.indices where nodes[id].peer != nil {
            step(id, .start, &ignored)
        }
        if nodes.indices.contains(scenario.firstElection), nodes[scenario.firstElection].peer != nil {
            step(scenario.firstElection, .command(.startElection), &ignored)
        }
    }

    func link(_ from: PeerID, _ to: PeerID) -> Int { from * count + to }

    static let timerOrder: [PeerTimer] = [.heartbeat, .election, .coordinator, .request, .deposit]

    // MARK: Enabled actions

    /// Every action enabled in this state within `bounds`, in a fixed order.
    public func enabled(within bounds: ExplorationBounds) -> [ExplorationAction] {
        var actions: [ExplorationAction] = []
        let timersMayFire = bounds.timing == .any || isQuiet
        // Fields are read in place, through each node's box (`Nodes.box`).
        for id in nodes.indices {
            let box = nodes.box(id)
            guard box.running else { continue }
            for from in nodes.indices where !links[link(from, id)].isEmpty {
                actions.append(.deliver(from: from, to: id))
            }
            if timersMayFire, !box.node.timers.isEmpty {
                for timer in Self.timerOrder where box.node.timers[timer] != nil && box.node.fired[timer, default: 0] < bounds.firings(of: timer) {
                    actions.append(.fire(id, timer))
                }
            }
            if !box.node.storeRequests.isEmpty { actions.append(.runStore(id)) }
            if !box.node.storeResults.isEmpty { actions.append(.storeResult(id)) }
        }
        for id in nodes.indices {
            let box = nodes.box(id)
            // A restart or a resume comes after a delay, as a timer does (the scenario's
            // recovery, the length of a pause).
            if timersMayFire, box.crashed { actions.append(.restart(id)) }
            if timersMayFire, box.node.paused { actions.append(.resume(id)) }
            if crashes < bounds.crashes, box.hasPeer { actions.append(.crash(id)) }
            if pauses < bounds.pauses, box.running { actions.append(.pause(id)) }
        }
        if drops < bounds.drops {
            for from in nodes.indices {
                for to in nodes.indices {
                    if case .message = links[link(from, to)].first { actions.append(.drop(from: from, to: to)) }
                }
            }
        }
        return actions
    }

    /// Nothing in flight to a peer that is up and not paused: no message, no store request
    /// or answer. What is on its way to a paused peer waits for it.
    var isQuiet: Bool {
        nodes.indices.allSatisfy { id in
            let box = nodes.box(id)
            guard box.running else { return true }
            return box.node.storeRequests.isEmpty && box.node.storeResults.isEmpty
                && nodes.indices.allSatisfy { links[link($0, id)].isEmpty }
        }
    }

    // MARK: Steps

    /// Takes one action (which must be enabled) and returns the invariants it broke.
    public mutating func apply(_ action: ExplorationAction) -> [Violation] {
        var violations: [Violation] = []
        // A step changes the node of the peer it is taken by (a new box, with no hash kept) and
        // links, nothing else but the store when the store runs.
        if case .runStore = action { storeHashKept = nil }
        switch action {
        case .deliver(let from, let to):
            let item = links[link(from, to)].removeFirst()
            switch item {
            case .message(let envelope):
                let wasUp = nodes[to].peer?.isUp == true
                step(to, .receive(envelope), &violations)
                // A frame held for the store's leader record is taken in (its stamp witnessed) later.
                if wasUp, let peer = nodes[to].peer, !peer.heldFrames.contains(envelope),
                   let violation = ClockCondition.check("\(envelope.message.kind) P\(from)→P\(to)",
                                                        sent: envelope.clock, received: peer.clock.time) {
                    violations.append(violation)
                }
            case .gone(let gone):
                // Read late, a close of a peer that came back is no news: a dial to it now succeeds.
                if nodes[gone].peer == nil { step(to, .peerGone(gone), &violations) }
            }
        case .fire(let id, let timer):
            let deadline = nodes[id].timers.removeValue(forKey: timer)!
            nodes[id].fired[timer, default: 0] += 1
            now = max(now, deadline)
            step(id, .timer(timer), &violations)
        case .runStore(let id):
            let request = nodes[id].storeRequests.removeFirst()
            store = store.copy()
            do {
                nodes[id].storeResults.append(try store.perform(request))
            } catch {
                violations.append(Violation(.store, "\(request) threw \(error)"))
            }
            violations += watch.check(store)
        case .storeResult(let id):
            step(id, .persisted(nodes[id].storeResults.removeFirst()), &violations)
        case .crash(let id):
            crashes += 1
            crash(id)
        case .restart(let id):
            nodes[id].peer = Peer(config: configs[id], incarnation: nodes[id].incarnation)
            step(id, .restart, &violations)
        case .pause(let id):
            pauses += 1
            nodes[id].paused = true
        case .resume(let id):
            nodes[id].paused = false
        case .drop(let from, let to):
            drops += 1
            links[link(from, to)].removeFirst()
        }
        return violations
    }

    /// One event of one peer, then the end of its turn (each event is a turn of its own, as
    /// when the runtime's loop finds one thing to do), with every effect carried out. The node
    /// is read once and written once: each read through `nodes` copies the whole node (a
    /// retain of every buffer of its peer), and each write puts a new box in place.
    mutating func step(_ id: PeerID, _ event: Event, _ violations: inout [Violation]) {
        var node = nodes[id]
        if case .none = node.peer { return }
        // Stepped in place: a copy of the peer out of its node retains every buffer it holds.
        var effects = node.peer!.step(event, now: now)
        effects += node.peer!.step(.endOfTurn, now: now)
        let knownEpoch = node.peer!.knownEpoch
        var crashed = false
        effects: for effect in effects {
            switch effect {
            case .send(let envelope):
                if envelope.to != id, nodes.isDown(envelope.to) {
                    // A dial to a peer that is down or crashed is refused at once.
                    noteGone(envelope.to, to: id)
                } else {
                    links[link(id, envelope.to)].append(.message(envelope))
                }
            case .setTimer(let timer, let after):
                node.timers[timer] = now + after
            case .cancelTimer(let timer):
                node.timers[timer] = nil
            case .persist(let request):
                node.storeRequests.append(request)
            case .fellSick(let mode):
                // Faults come from the explorer (the core's sick rate is 0); a crash the core
                // asks for is carried out all the same, and ends what the turn does.
                guard mode == .crash else { continue }
                nodes[id] = node
                crash(id)
                crashed = true
                break effects
            case .log:
                break
            }
        }
        if !crashed { nodes[id] = node }
        if let violation = BackedBelief.check(id, knownEpoch: knownEpoch, storeEpoch: store.epoch) {
            violations.append(violation)
        }
    }

    /// `observer` will read that `gone`'s connection closed, unless it already will.
    mutating func noteGone(_ gone: PeerID, to observer: PeerID) {
        let index = link(gone, observer)
        if links[index].last != .gone(gone) { links[index].append(.gone(gone)) }
    }

    mutating func crash(_ id: PeerID) {
        nodes[id].peer = nil
        nodes[id].incarnation += 1
        nodes[id].timers = [:]
        nodes[id].storeRequests = []
        nodes[id].storeResults = []
        nodes[id].paused = false
        // What was on its way to it is lost with its connections; every peer up reads the close.
        for from in nodes.indices { links[link(from, id)] = [] }
        for observer in nodes.indices where observer != id && nodes[observer].peer != nil {
            noteGone(id, to: observer)
        }
    }
}
