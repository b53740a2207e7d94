import HeapModule
import MarketCore

/// Every peer of a scenario in one process, driven by one seeded scheduler in virtual time:
/// FIFO links with random delays, sickness, crashes that keep only the store, pauses that
/// wake a zombie trader. After every step it checks the invariants of the protocol.
public final class Simulation {
    public let scenario: Scenario
    public let options: SimulationOptions
    public let store: InMemoryStore

    private var random: SplitMix64
    private var queue = Heap<Scheduled>()
    private var sequence = 0
    var now: Duration = .zero
    var nodes: [Node]
    var linkClear: [Int: Duration] = [:]
    var trace: [String] = []
    var result: SimulationResult
    var watch = StoreWatch()
    private var pauseAtNextCommit = false
    /// The nemesis's own draws, so that a seed without a stall runs exactly as it did before.
    var nemesis: SplitMix64
    /// Links (`from * 1024 + to`) whose messages are held until the given time.
    var stalledUntil: [Int: Duration] = [:]
    /// The forger's own draws (`SimulationOptions.forgeries`), apart from the scheduler's.
    var forger: SplitMix64
    /// Every stall of each link, from when to when: Bully's promise holds only for peers that
    /// hear each other within the election's timeout.
    var stalls: [Int: [ClosedRange<Duration>]] = [:]
    /// Every time a peer went down or came back after it first started, for `BullyWinners`.
    var upChanges: [BullyWinners<Duration>.Change] = []
    var elections: [BullyWinners<Duration>.Election] = []
    var everUp: Set<PeerID> = []
    /// Each seller's first deposit while it is on its way: to which trader, and its id.
    var firstDepositsInFlight: [PeerID: (to: PeerID, depositID: Int)] = [:]
    /// Batches that failed a buy `no seller` when a seller could sell, with the violation
    /// they make if written.
    var noSellerWhileSome: [DecisionBatch: Violation] = [:]
    /// The nemesis's steps still to come, and the links it has cut now (`Simulation+Nemesis`).
    var nemesisSchedule: NemesisSchedule?
    var cutLinks: Set<DirectedLink> = []
    var cutSince: [DirectedLink: Duration] = [:]
    var cutSpans: [Int: [ClosedRange<Duration>]] = [:]
    /// Latency and loss draws (`SimulationOptions.links`), apart from every other stream.
    var linkDraws: SplitMix64
    /// Peers stepped at the current instant: each ends its turn before time moves on.
    private var turn: Set<PeerID> = []

    static let traceLength = 40
    /// Hears every event and every peer's log line as it happens (`market simulate --verbose`).
    public var onTrace: ((String) -> Void)?

    public init(scenario: Scenario, options: SimulationOptions = SimulationOptions()) {
        self.scenario = scenario
        self.options = options
        store = InMemoryStore(fencing: options.fencing)
        random = SplitMix64.derive(scenario.seed, 0x51A1)
        nemesis = SplitMix64.derive(scenario.seed, 0x57A1)
        forger = SplitMix64.derive(scenario.seed, 0xF0A6)
        linkDraws = SplitMix64.derive(scenario.seed, 0x11A7)
        nodes = scenario.peers.map { spec in
            var config = scenario.config(for: spec.id)
            config.stabilityRule = options.stabilityRule
            config.electionRule = options.electionRule
            return Node(config: config, down: spec.downAtStart)
        }
        result = SimulationResult(scenario: scenario.name, seed: scenario.seed)
    }

    /// Runs until the scenario settles (then checks the books) or an invariant fails.
    public func run() -> SimulationResult {
        for node in nodes where !node.down {
            schedule(.start(node.config.id), after: jitter(.milliseconds(5)))
        }
        schedule(.command(scenario.firstElection, .startElection), after: .milliseconds(10))
        if options.pauses, random.chance(0.5) {
            schedule(.armPause, after: .milliseconds(Int64(random.next() % 2000)))
        }
        if options.forgeries, forger.chance(0.5) {
            schedule(.forge, after: .milliseconds(Int64(forger.next() % 3000)))
        }
        startNemesis()
        while result.failure == nil, let upcoming = queue.min {
            if upcoming.at > now, !turn.isEmpty {
                endTurns()
                continue
            }
            let next = queue.popMin()!
            now = next.at
            if now > options.timeLimit {
                fail(Violation(.liveness, "not settled after \(Self.format(options.timeLimit)): \(summary())"))
                break
            }
            result.events += 1
            remember(next.event)
            onTrace?(trace.last!)
            process(next.event)
            if result.failure == nil, now >= options.holdUntil, settled() {
                checkBooks()
                break
            }
        }
        if result.failure == nil, !settledOnce {
            fail(Violation(.liveness, "ran out of events before settling: \(summary())"))
        }
        if result.failure == nil { checkBullyWinners() }
        result.elections = store.claims.count
        result.decisions = store.decisions.count
        result.alreadyDecided = store.commits.reduce(0) { $0 + $1.alreadyDecided.count }
        result.takeovers = store.requests.values.count { record in
            if case .decided(let decision) = record.status { return decision.epoch > record.epochReceived }
            return false
        }
        result.virtualTime = now
        return result
    }

    // MARK: Scheduling

    enum SimEvent: Hashable {
        case start(PeerID)
        case restart(PeerID, incarnation: Int)
        case deliver(Envelope)
        case timer(PeerID, PeerTimer, generation: Int)
        case persisted(PeerID, incarnation: Int)
        case command(PeerID, Command)
        /// The transport of `observer` saw `gone` go away (its socket closed, a dial was refused).
        case peerGone(observer: PeerID, gone: PeerID)
        case armPause
        case resume(PeerID)
        /// The link from one buyer to another holds its messages until `until`.
        case stall(from: PeerID, to: PeerID, until: Duration)
        /// A frame claiming an epoch the store never granted goes out (`forge()`).
        case forge
        /// The nemesis cuts links or heals them (`act(_:)`).
        case nemesis(NemesisStep)
    }

    private struct Scheduled: Comparable {
        var at: Duration
        var sequence: Int
        var event: SimEvent

        static func < (lhs: Scheduled, rhs: Scheduled) -> Bool {
            (lhs.at, lhs.sequence) < (rhs.at, rhs.sequence)
        }

        static func == (lhs: Scheduled, rhs: Scheduled) -> Bool {
            lhs.at == rhs.at && lhs.sequence == rhs.sequence
        }
    }

    struct Node {
        var config: PeerConfig
        var down: Bool
        var peer: Peer?
        var incarnation = 0
        var timerGeneration: [PeerTimer: Int] = [:]
        /// Persistence requests in order, with when each was asked.
        var persistQueue: [(request: StoreRequest, askedAt: Duration)] = []
        var paused = false
        var postponed: [SimEvent] = []
        /// Since when the peer has been up without a break (nil while it is not).
        var upSince: Duration?

        init(config: PeerConfig, down: Bool) {
            self.config = config
            self.down = down
        }
    }

    func schedule(_ event: SimEvent, after delay: Duration) {
        sequence += 1
        queue.insert(Scheduled(at: now + delay, sequence: sequence, event: event))
    }

    private func jitter(_ bound: Duration) -> Duration {
        let nanos = max(1, bound.nanoseconds)
        return .nanoseconds(Int64(random.next() % UInt64(nanos)))
    }

    func delay() -> Duration {
        options.minDelay + jitter(options.maxDelay - options.minDelay)
    }

    // MARK: Processing

    func process(_ event: SimEvent) {
        switch event {
        case .start(let id):
            nodes[id].peer = Peer(config: nodes[id].config)
            step(id, .start)
        case .restart(let id, let incarnation):
            guard nodes[id].incarnation == incarnation else { return }
            nodes[id].peer = Peer(config: nodes[id].config, incarnation: incarnation)
            step(id, .restart)
        case .deliver(let envelope):
            let id = envelope.to
            guard nodes[id].peer != nil else { return noteArrived(envelope) }  // down or crashed: the message is lost
            if let until = stalledUntil[envelope.from * 1024 + envelope.to], until > now {
                // Held in order: each comes out of the queue in arrival order, and goes back in
                // behind the ones before it.
                return schedule(event, after: until - now)
            }
            if nodes[id].paused { return nodes[id].postponed.append(event) }
            let wasUp = nodes[id].peer?.isUp == true
            noteArrived(envelope)
            step(id, .receive(envelope))
            // A frame held for the store's leader record is taken in (its stamp witnessed) later.
            if wasUp, let peer = nodes[id].peer, !peer.heldFrames.contains(envelope), case let clock = peer.clock.time {
                fail(ClockCondition.check("\(envelope.message.kind) P\(envelope.from)→P\(id)", sent: envelope.clock, received: clock))
            }
        case .timer(let id, let timer, let generation):
            guard nodes[id].peer != nil, nodes[id].timerGeneration[timer] == generation else { return }
            if nodes[id].paused { return nodes[id].postponed.append(event) }
            step(id, .timer(timer))
        case .persisted(let id, let incarnation):
            guard nodes[id].incarnation == incarnation, !nodes[id].persistQueue.isEmpty else { return }
            if nodes[id].paused { return nodes[id].postponed.append(event) }
            let (request, askedAt) = nodes[id].persistQueue.removeFirst()
            let outcome: StoreResult
            // The store's clock is the simulator's: leases run in virtual time.
            store.clock = now
            do {
                outcome = try store.perform(request)
            } catch {
                return fail(Violation(.store, "\(request) threw \(error)"))
            }
            checkStore(after: request, outcome: outcome, askedAt: askedAt)
            if !nodes[id].persistQueue.isEmpty {
                schedule(.persisted(id, incarnation: incarnation), after: persistLatency())
            }
            step(id, .persisted(outcome))
        case .command(let id, let command):
            guard nodes[id].peer != nil else { return }
            if nodes[id].paused { return nodes[id].postponed.append(event) }
            if command == .recover { result.faults += 1 }
            step(id, .command(command))
        case .peerGone(let observer, let gone):
            guard nodes[observer].peer != nil else { return }
            if nodes[observer].paused { return nodes[observer].postponed.append(event) }
            // Read late (the observer was paused), a closed connection to a peer that came
            // back is no news: a dial to it now succeeds.
            guard isGone(gone) else { return }
            step(observer, .peerGone(gone))
        case .armPause:
            pauseAtNextCommit = true
        case .stall:
            break  // traced when it happens (`maybeStall`)
        case .forge:
            forge()
        case .nemesis(let step):
            act(step)
        case .resume(let id):
            nodes[id].paused = false
            let postponed = nodes[id].postponed
            nodes[id].postponed = []
            for event in postponed {
                schedule(event, after: .zero)
            }
        }
    }

    private func persistLatency() -> Duration {
        .microseconds(20) + jitter(.microseconds(400))
    }

    private func step(_ id: PeerID, _ event: Event) {
        guard var peer = nodes[id].peer else { return }
        turn.insert(id)
        let effects = peer.step(event, now: now)
        nodes[id].peer = peer
        for effect in effects {
            perform(effect, of: id)
        }
        updateUp(id)
        fail(BackedBelief.check(peer.id, knownEpoch: peer.knownEpoch, storeEpoch: store.epoch))
    }

    private func perform(_ effect: Effect, of id: PeerID) {
        switch effect {
        case .send(let envelope):
            result.messages[envelope.message.kind, default: 0] += 1
            if lostToCut(envelope) { return }
            if isGone(envelope.to) {
                // A dial to a peer that is down or crashed is refused at once.
                return schedule(.peerGone(observer: id, gone: envelope.to), after: delay())
            }
            maybeStall(envelope)
            noteSent(envelope)
            let link = envelope.from * 1024 + envelope.to
            let arrival = max(now + delay() + linkDelay(), (linkClear[link] ?? .zero) + .nanoseconds(1))
            linkClear[link] = arrival
            schedule(.deliver(envelope), after: arrival - now)
        case .setTimer(let timer, let after):
            let generation = (nodes[id].timerGeneration[timer] ?? 0) + 1
            nodes[id].timerGeneration[timer] = generation
            schedule(.timer(id, timer, generation: generation), after: after)
        case .cancelTimer(let timer):
            nodes[id].timerGeneration[timer, default: 0] += 1
        case .persist(let request):
            nodes[id].persistQueue.append((request, now))
            if nodes[id].persistQueue.count == 1 {
                schedule(.persisted(id, incarnation: nodes[id].incarnation), after: persistLatency())
            }
            if case .commitDecisions(let batch) = request { checkNoSeller(batch, by: id) }
            if case .commitDecisions = request, pauseAtNextCommit {
                pauseAtNextCommit = false
                pause(id)
            }
        case .fellSick(let mode):
            result.faults += 1
            switch mode {
            case .crash: crash(id)
            case .silent, .resign:
                schedule(.command(id, .recover), after: scenario.recoverAfter)
            }
        case .log(let line):
            onTrace?("\(Self.format(now)) P\(id) log: \(line)")
        }
    }

    /// Stops the peer as SIGSTOP would: nothing it has asked for happens until it wakes.
    private func pause(_ id: PeerID) {
        nodes[id].paused = true
        let length = nodes[id].config.timing.suspectAfter * 2 + jitter(.seconds(1))
        schedule(.resume(id), after: length)
    }

    /// Every peer ends the turn it had at this instant, in id order.
    private func endTurns() {
        let peers = turn.sorted()
        turn = []
        for id in peers where nodes[id].peer != nil && !nodes[id].paused {
            guard var peer = nodes[id].peer else { continue }
            let effects = peer.step(.endOfTurn, now: now)
            nodes[id].peer = peer
            for effect in effects {
                perform(effect, of: id)
            }
        }
    }

    var settledOnce = false
}
