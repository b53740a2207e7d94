#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import MarketCore
import MarketStore
import NIOCore
import NIOPosix

/// Drives one `Peer` state machine with real time, the store and the socket transport.
///
/// Everything here runs on ONE event loop: the peer, its timers (NIO scheduled tasks), the
/// transport's channels and the store's connection are confined to it, so nothing is shared
/// between threads. Effects are carried out in the order the core gave them; persistence
/// requests are performed synchronously against the store and their results are fed back
/// as `.persisted` events in the same order, before anything else happens.
final class PeerDriver {
    let loop: EventLoop
    private(set) var peer: Peer
    private let database: any PeerDatabase
    private let store: any TradingPostStore
    let transport: Transport
    private let logger: Logger
    private let startedAt = NIODeadline.now()
    private let trace: Bool
    /// Tells the supervisor about a sickness (one line on stdout).
    private let reportSick: (SickMode) -> Void
    /// The store failed: the process cannot go on safely.
    private let fatal: (String) -> Void
    /// Tells the supervisor where the peer stands, whenever that changes.
    var reportState: ((PeerStanding) -> Void)?
    private var lastStanding: PeerStanding?

    private var timers: [PeerTimer: (generation: Int, task: Scheduled<Void>)] = [:]
    private var timerGeneration = 0
    private var queue: [Event] = []
    /// Store requests not yet performed, in the order the core asked for them.
    private var persistQueue: [StoreRequest] = []
    private var queueHead = 0
    private var stepping = false
    private var traced: [TracedMessage] = []
    private var stopped = false

    init(loop: EventLoop, config: PeerConfig, incarnation: Int, database: any PeerDatabase, transport: Transport,
         logger: Logger, trace: Bool, reportSick: @escaping (SickMode) -> Void, fatal: @escaping (String) -> Void) {
        self.loop = loop
        self.peer = Peer(config: config, incarnation: incarnation)
        self.database = database
        self.store = database.store
        self.transport = transport
        self.logger = logger
        self.trace = trace
        self.reportSick = reportSick
        self.fatal = fatal
    }

    var now: Duration {
        .nanoseconds((NIODeadline.now() - startedAt).nanoseconds)
    }

    func log(_ line: String) {
        logger.info("\(line)", metadata: ["c": "\(peer.clock.time)"])
    }

    /// Feeds one event, and then every store result it leads to, through the core.
    func handle(_ event: Event) {
        loop.preconditionInEventLoop()
        guard !stopped else { return }
        queue.append(event)
        pump()
    }

    private func pump() {
        guard !stepping, !stopped else { return }
        stepping = true
        while queueHead < queue.count {
            let next = queue[queueHead]
            queueHead += 1
            if case .receive(let envelope) = next, trace {
                let effects = peer.step(next, now: now)
                traced.append(TracedMessage(envelope, recvClock: peer.clock.time, receivedAt: Date()))
                apply(effects)
            } else {
                apply(peer.step(next, now: now))
            }
            if stopped { break }
        }
        if !stopped {
            // One acknowledgement covers every buy of this pass (MarketCore's Event.endOfTurn).
            apply(peer.step(.endOfTurn, now: now))
        }
        queue.removeAll(keepingCapacity: true)
        queueHead = 0
        stepping = false
        transport.flush()
        let standing = PeerStanding(peer)
        if standing != lastStanding, !stopped {
            lastStanding = standing
            reportState?(standing)
        }
        if traced.count >= 256 { flushTrace() }
    }

    private func apply(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .send(let envelope):
                transport.send(envelope)
            case .setTimer(let timer, let delay):
                arm(timer, after: delay)
            case .cancelTimer(let timer):
                timers.removeValue(forKey: timer)?.task.cancel()
            case .persist(let request):
                persistQueue.append(request)
                if persistQueue.count == 1 { performPersists() }
            case .fellSick(let mode):
                log("reports sickness (\(mode.rawValue)) to the supervisor")
                reportSick(mode)
            case .log(let line):
                log(line)
            }
        }
    }

    /// Performs the waiting store requests in order, each result queued as an event. When
    /// the database is locked by another process past the store's busy timeout (a paused
    /// trader inside a transaction holds the write lock), the requests wait and are tried
    /// again; other events go on meanwhile, as a slow store would have it.
    private func performPersists() {
        while let request = persistQueue.first, !stopped {
            do {
                let result = try store.perform(request)
                persistQueue.removeFirst()
                queue.append(.persisted(result))
            } catch where Self.isBusy(error) {
                log("the database is locked (\(request.kindName)); trying again")
                loop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { [self] in
                    guard !stopped else { return }
                    performPersists()
                    pump()
                }
                return
            } catch {
                stopped = true
                fatal("store failed on \(request.kindName): \(error)")
                return
            }
        }
    }

    static func isBusy(_ error: any Error) -> Bool {
        let text = String(describing: error).lowercased()
        return text.contains("database is locked") || text.contains("busy")
    }

    private func arm(_ timer: PeerTimer, after delay: Duration) {
        timers[timer]?.task.cancel()
        timerGeneration += 1
        let generation = timerGeneration
        let (seconds, attoseconds) = delay.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let task = loop.assumeIsolated().scheduleTask(in: .nanoseconds(max(0, nanos))) { [self] in
            guard timers[timer]?.generation == generation else { return }
            timers[timer] = nil
            handle(.timer(timer))
        }
        timers[timer] = (generation, task)
    }

    /// Writes the traced messages down (`--trace`).
    func flushTrace() {
        guard !traced.isEmpty else { return }
        let batch = traced
        traced = []
        do {
            try database.recordMessages(batch)
        } catch {
            log("could not record \(batch.count) traced messages: \(error)")
        }
    }

    /// Stops the peer for good: timers off, ledger written. Returns the ledger.
    func stop() throws -> (Ledger, UInt64) {
        loop.preconditionInEventLoop()
        stopped = true
        for (_, entry) in timers { entry.task.cancel() }
        timers = [:]
        flushTrace()
        let ledger = peer.ledger
        let clock = peer.clock.time
        try database.recordLedger(peer: peer.id, ledger: ledger, finalClock: clock)
        log("stops: bought \(ledger.bought), sold \(ledger.sold), cash \(ledger.cashCents) cents; "
            + "\(transport.dropped) messages dropped (neighbour down or not reading)")
        return (ledger, clock)
    }
}

extension StoreRequest {
    var kindName: String {
        switch self {
        case .noteElectionStarted: "noteElectionStarted"
        case .claimEpoch: "claimEpoch"
        case .loadTakeover: "loadTakeover"
        case .enqueue: "enqueue"
        case .recordDeposit: "recordDeposit"
        case .commitDecisions: "commitDecisions"
        case .markDelivered: "markDelivered"
        case .loadBooks: "loadBooks"
        }
    }
}

/// A peer's standing on the supervisor's pipe.
extension PeerStanding {
    /// `state up|down trader:<epoch>|- finished|buying`
    var line: String {
        "\(PeerWire.state) \(up ? "up" : "down") \(traderEpoch.map { "trader:\($0)" } ?? "-") \(finishedBuying ? "finished" : "buying")"
    }

    init?(line: String) {
        let words = line.split(separator: " ")
        guard words.count == 4, words[0] == PeerWire.state else { return nil }
        self.init(up: words[1] == "up", traderEpoch: words[2].hasPrefix("trader:") ? Int(words[2].dropFirst(7)) : nil,
                  finishedBuying: words[3] == "finished")
    }
}
