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

/// What a `PeerShell` tells the process around it, on the event loop.
protocol PeerShellDelegate: AnyObject {
    /// The core reported a sickness (`Effect.fellSick`).
    func shell(reportsSick mode: SickMode)
    /// Where the peer stands changed (only once `startReportingStanding()` was called).
    func shell(standsAt standing: PeerStanding)
    /// The store failed: the process cannot go on safely.
    func shell(failed why: String)
}

/// Runs one `Peer` state machine with real time, the store and the socket transport: the
/// core's shell, as `SWIMNIOShell` is for `SWIMInstance`.
///
/// Everything here runs on ONE event loop: the peer, its timers (NIO scheduled tasks), the
/// transport's channels and the store's connection are confined to it, so nothing is shared
/// between threads. Effects are carried out in the order the core gave them; persistence
/// requests are performed synchronously against the store and their results are fed back
/// as `.persisted` events in the same order, before anything else happens.
final class PeerShell {
    let loop: EventLoop
    private(set) var peer: Peer
    let database: MarketDatabase
    let runID: Int64
    /// This run's trading post in the database.
    private let store: SQLiteStore
    private let transport: Transport
    private let logger: Logger
    private let startedAt = NIODeadline.now()
    private let trace: Bool
    weak var delegate: PeerShellDelegate?
    /// Changes of standing go to the delegate only once it can pass them on.
    private var reportsStanding = false
    private var lastStanding: PeerStanding?

    private var timers: [PeerTimer: (generation: Int, task: Scheduled<Void>)] = [:]
    private var timerGeneration = 0
    private var queue: [Event] = []
    /// Store requests not yet performed, in the order the core asked for them.
    private var persistQueue: [StoreRequest] = []
    private var queueHead = 0
    private var stepping = false
    private var traced: [TracedMessage] = []
    /// Frames whose word on the trader the store did not back (`isBelievable`).
    var unbackedClaims = 0
    private var stopped = false

    init(loop: EventLoop, config: PeerConfig, incarnation: Int, database: MarketDatabase, runID: Int64,
         directory: RunDirectory, logger: Logger, trace: Bool) {
        self.loop = loop
        self.peer = Peer(config: config, incarnation: incarnation)
        self.database = database
        self.runID = runID
        self.store = database.store(runID: runID)
        self.transport = Transport(loop: loop, me: config.id, peerCount: config.peers.count, directory: directory) { [logger] line in
            logger.warning("\(line)")
        }
        self.logger = logger
        self.trace = trace
    }

    /// Binds the peer's socket; every envelope that arrives is fed to the core.
    func listen() -> EventLoopFuture<Void> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        return transport.listen { envelope in bound.value.receive(envelope) }
    }

    private func receive(_ envelope: Envelope) {
        transport.heard(from: envelope.from)
        guard isBelievable(envelope) else { return }
        handle(.receive(envelope))
    }

    /// From now on, every change of standing goes to the delegate, starting with the next.
    func startReportingStanding() {
        reportsStanding = true
        lastStanding = nil
    }

    /// Closes the peer's connections and its socket.
    func close() -> EventLoopFuture<Void> {
        transport.close()
    }

    var now: Duration {
        Duration(NIODeadline.now() - startedAt)
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
        if reportsStanding, standing != lastStanding, !stopped {
            lastStanding = standing
            delegate?.shell(standsAt: standing)
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
                delegate?.shell(reportsSick: mode)
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
            } catch StoreError.busy {
                log("the database is locked (\(request.kindName)); trying again")
                loop.assumeIsolated().scheduleTask(in: .milliseconds(50)) { [self] in
                    guard !stopped else { return }
                    performPersists()
                    pump()
                }
                return
            } catch {
                stopped = true
                delegate?.shell(failed: "store failed on \(request.kindName): \(error)")
                return
            }
        }
    }

    private func arm(_ timer: PeerTimer, after delay: Duration) {
        timers[timer]?.task.cancel()
        timerGeneration += 1
        let generation = timerGeneration
        let task = loop.assumeIsolated().scheduleTask(in: .nanoseconds(max(0, delay.nanoseconds))) { [self] in
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
            try database.recordMessages(runID: runID, batch)
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
        try database.recordLedger(runID: runID, peer: peer.id, ledger: ledger, finalClock: clock)
        log("stops: bought \(ledger.bought), sold \(ledger.sold), cash \(ledger.cashCents) cents; "
            + "\(transport.dropped) messages dropped (neighbour down or not reading); "
            + "\(transport.rejected + peer.rejectedFrames + unbackedClaims) frames refused "
            + "(unproven, in another's name, impossible, or claiming an epoch the store never granted)")
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
