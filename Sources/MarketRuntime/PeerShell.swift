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
    /// The loop stood still past `PeerShell.freezeThreshold`; events wait for `proceed()`.
    func shellResumed()
    /// The store failed: the process cannot go on safely.
    func shell(failed why: String)
    /// Whether the run still goes on, asked before an event that could start an election: a
    /// peer whose supervisor said stop, or is gone, takes no further part.
    func shellMayGoOn() -> Bool
}

/// Runs one `Peer` state machine with real time, the store and the socket transport: the
/// core's shell, as `SWIMNIOShell` is for `SWIMInstance`.
///
/// Everything here runs on ONE event loop: the peer, its timers (NIO scheduled tasks) and
/// the transport's channels are confined to it. The store is not: its calls run on the
/// peer's store thread (`StoreWorker`), so a slow commit, a lock held by another connection
/// or a database server's round trip never stops heartbeats, frames or timers. Effects are
/// carried out in the order the core gave them.
///
/// Work is done by turns of the loop. Every event that arrives in a turn (every frame read,
/// timer fired) is stepped at once; the end of the turn, a task queued behind them, hands
/// the store requests they asked for to the store thread as one batch (unless a batch is in
/// flight: then they wait for the next), gives the core `Event.endOfTurn` and flushes the
/// sockets. The batch's answer comes back to the loop: each result fed to the core as a
/// `.persisted` event, in the order asked, then the end of a turn again, which hands over
/// whatever was asked meanwhile. So a trader commits in one transaction whatever became
/// decidable while the last one was in flight, a peer acknowledges every buy of the turn at
/// once, and the frames of a turn leave together.
final class PeerShell {
    let loop: EventLoop
    private(set) var peer: Peer
    let database: MarketDatabase
    let runID: Int64
    /// This run's trading post in the database.
    let store: SQLiteStore
    /// Where the core's store requests go: `store`, or a test's stand-in for it. Only the
    /// store thread calls it.
    let tradingPost: UncheckedStore
    /// The peer's store thread: every store call of the shell runs there.
    let worker: StoreWorker
    let transport: Transport
    private let logger: Logger
    /// Every time here is the loop's: real time on a real loop, a test's on an embedded one.
    private let startedAt: NIODeadline
    let trace: Bool
    weak var delegate: PeerShellDelegate?
    /// Changes of standing go to the delegate only once it can pass them on.
    private var reportsStanding = false
    private var lastStanding: PeerStanding?

    var timers: [PeerTimer: (generation: Int, task: Scheduled<Void>)] = [:]
    private var timerGeneration = 0
    var queue: [Event] = []
    /// Store requests not yet handed to the store thread, in the order the core asked for them.
    var persistQueue: [StoreRequest] = []
    /// The batch the store thread has, until its answer is taken.
    var inFlight: StoreBatch?
    /// Batches handed to the store thread, and the requests in them (the stop line says how
    /// well requests were batched).
    private(set) var storeBatches = 0
    private(set) var storeRequests = 0
    /// The store thread's processor time on this peer's batches: what a decision costs in the store.
    private(set) var storeTime: Duration = .zero
    private var queueHead = 0
    private var stepping = false
    /// The end of this turn is queued on the loop.
    private var turnEnding = false
    /// When the last turn ended (the heartbeat timer makes one at least every period).
    private var lastTurn: NIODeadline
    /// Events wait: the loop stood still, and the supervisor has not yet said `proceed`.
    var holding = false
    /// A loop that stood still this long was stopped from outside (or starved): the
    /// supervisor must see its continue before the peer acts, or the peer could win an
    /// election while the history still has it paused (`Timing.freezeAfter`).
    let freezeThreshold: TimeAmount
    /// How soon a store request refused for the lock is tried again: soon, since locks are
    /// mostly held for a commit's length, and a peer that waits long loses every race for
    /// the lock to peers that happen to try when it is free.
    static let lockRetry = Duration.milliseconds(5)
    var traced: [TracedMessage] = []
    /// Traced messages the store thread keeps while the database is locked.
    let traceBacklog = TraceBacklog()
    /// Traced frames the core holds for the store's leader record: traced once taken in.
    private var tracedHeld: [(envelope: Envelope, receivedAt: Date)] = []
    var stopped = false

    /// - Parameter tradingPost: where the store requests go; nil: the run's store in `database`.
    init(loop: EventLoop, config: PeerConfig, incarnation: Int, database: MarketDatabase, runID: Int64,
         worker: StoreWorker, tradingPost: (any TradingPostStore)? = nil,
         directory: RunDirectory, tcpHost: String? = nil, logger: Logger, trace: Bool) {
        self.loop = loop
        startedAt = loop.now
        lastTurn = loop.now
        self.peer = Peer(config: config, incarnation: incarnation)
        freezeThreshold = TimeAmount(config.timing.freezeAfter)
        self.database = database
        self.runID = runID
        self.store = database.store(runID: runID)
        self.tradingPost = UncheckedStore(store: tradingPost ?? store)
        self.worker = worker
        self.transport = Transport(
            loop: loop, me: config.id, peerCount: config.peers.count, directory: directory, tcpHost: tcpHost
        ) { [logger] line in
            logger.warning("\(line)")
        }
        self.logger = logger
        self.trace = trace
        transport.gone = { [weak self] peer in self?.handle(.peerGone(peer)) }
    }

    /// Binds the peer's socket and returns where neighbours reach it; every envelope that
    /// arrives is fed to the core.
    func listen() -> EventLoopFuture<PeerAddress> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        return transport.listen { envelope in bound.value.receive(envelope) }
    }

    private func receive(_ envelope: Envelope) {
        transport.heard(from: envelope.from)
        handle(.receive(envelope))
    }

    /// From now on, every change of standing goes to the delegate, starting with the next.
    func startReportingStanding() {
        reportsStanding = true
        lastStanding = nil
    }

    /// Closes the peer's connections and its socket; halted first, so the store thread has
    /// nothing left to wait for when it is shut down.
    func close() -> EventLoopFuture<Void> {
        halt()
        return transport.close()
    }

    var now: Duration {
        Duration(loop.now - startedAt)
    }

    func log(_ line: String) {
        logger.info("\(line)", metadata: ["c": "\(peer.clock.time)"])
    }

    /// Feeds one event through the core now; what it asks of the store waits for the end of
    /// the turn.
    func handle(_ event: Event) {
        loop.preconditionInEventLoop()
        guard !stopped else { return }
        if event.mayStartElection, delegate?.shellMayGoOn() == false {
            // The run is ending: a neighbour that left, or a timeout, is no cause for an
            // election now (the delegate halts this peer).
            return
        }
        if event == .start || event == .restart {
            lastTurn = loop.now
        } else {
            holdIfFrozen()
        }
        queue.append(event)
        guard !holding else { return }
        pump()
        endTurnSoon()
    }

    /// A loop that stood still past the threshold holds its events until `proceed`.
    private func holdIfFrozen() {
        guard !holding, loop.now - lastTurn > freezeThreshold else { return }
        holding = true
        log("its loop stood still for \(Duration(loop.now - lastTurn)); waits for the supervisor to see it")
        delegate?.shellResumed()
    }

    /// The supervisor has seen this peer run again: the events held meanwhile go through.
    func proceed() {
        guard holding else { return }
        holding = false
        lastTurn = loop.now
        pump()
        endTurnSoon()
    }

    func pump() {
        guard !stepping, !stopped, !holding else { return }
        stepping = true
        while queueHead < queue.count {
            let next = queue[queueHead]
            queueHead += 1
            if case .receive(let envelope) = next, trace {
                // A peer that is not up (restoring its books while their read is with the
                // store thread, sick) drops frames unread: never received, so not traced, as
                // held frames the core drops are not.
                let reads = peer.isUp
                let effects = peer.step(next, now: now)
                if peer.heldFrames.contains(envelope) {
                    tracedHeld.append((envelope, Date()))
                } else if reads {
                    traced.append(TracedMessage(envelope, recvClock: peer.clock.time, receivedAt: Date()))
                }
                apply(effects)
            } else {
                apply(peer.step(next, now: now))
                if !tracedHeld.isEmpty { traceReleased() }
            }
            if stopped { break }
        }
        queue.removeAll(keepingCapacity: true)
        queueHead = 0
        stepping = false
    }

    /// Held frames the core has let go of: those it took in (its clock witnessed their stamp)
    /// are traced with the clock they were taken in at; dropped ones were never received.
    private func traceReleased() {
        let held = peer.heldFrames
        tracedHeld.removeAll { entry in
            guard !held.contains(entry.envelope) else { return false }
            if peer.clock.time > entry.envelope.clock {
                traced.append(TracedMessage(entry.envelope, recvClock: peer.clock.time, receivedAt: entry.receivedAt))
            }
            return true
        }
    }

    /// Queues the end of the turn behind whatever the loop has at hand now (the other frames
    /// read and timers due in this pass come first).
    private func endTurnSoon() {
        guard !turnEnding, !stopped else { return }
        turnEnding = true
        loop.assumeIsolated().execute { [self] in endTurn() }
    }

    private func endTurn() {
        turnEnding = false
        guard !stopped, !holding else { return }
        lastTurn = loop.now
        // First, so the store thread works while the loop flushes.
        handOverPersists()
        // One acknowledgement covers every buy of the turn (MarketCore's Event.endOfTurn).
        apply(peer.step(.endOfTurn, now: now))
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
            case .fellSick(let mode):
                log("reports sickness (\(mode.rawValue)) to the supervisor")
                delegate?.shell(reportsSick: mode)
            case .log(let line):
                log(line)
            }
        }
    }

    /// Hands the waiting store requests to the store thread as one batch, unless a batch is
    /// in flight: one at a time, so they are performed in the order asked, and what the core
    /// asks meanwhile goes together in the next. A database locked by another process past
    /// the peer's short busy timeout (a paused trader inside a transaction holds the write
    /// lock) is tried again there; the loop goes on meanwhile (heartbeats, elections).
    private func handOverPersists() {
        guard inFlight == nil, !persistQueue.isEmpty, !stopped else { return }
        let batch = StoreBatch(persistQueue)
        persistQueue.removeAll(keepingCapacity: true)
        inFlight = batch
        storeBatches += 1
        storeRequests += batch.requests.count
        let bound = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop, tradingPost = self.tradingPost
        worker.submit {
            batch.perform(on: tradingPost.store, retry: Self.lockRetry) { request in
                loop.execute {
                    bound.value.log("the database is locked (\(request.kindName)); trying again every \(Self.lockRetry)")
                }
            }
            loop.execute { bound.value.answered(batch) }
        }
    }

    /// The store thread's answer, on the loop: the results go to the core in order, then the
    /// turn ends as any other (which hands over what was asked meanwhile). An answer can be
    /// the first thing a process stopped from outside (SIGSTOP) does when it continues: it
    /// waits for the supervisor like any other event.
    private func answered(_ batch: StoreBatch) {
        guard inFlight === batch, let answer = batch.take() else { return }
        if !stopped { holdIfFrozen() }
        if let failure = take(answer, of: batch) {
            delegate?.shell(failed: failure)
        }
        guard !stopped, !holding else { return }
        pump()
        endTurn()
    }

    /// Queues the results of a batch's answer as events; requests never begun go back to the
    /// head of the queue. A store failure halts the peer (it cannot go on safely) and is
    /// returned, for the caller to report.
    func take(_ answer: StoreBatch.Answer, of batch: StoreBatch) -> String? {
        inFlight = nil
        storeTime += answer.took
        for result in answer.results {
            queue.append(.persisted(result))
        }
        if let waited = answer.lockedFor {
            log("the database took \(waited) to unlock")
        }
        switch answer.ending {
        case .done:
            return nil
        case .cancelled:
            persistQueue.insert(contentsOf: batch.requests[answer.results.count...], at: 0)
            return nil
        case .failed(let request, let error):
            halt()
            return "store failed on \(request.kindName): \(error)"
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
}


/// The store requests' target, handed to the store thread: only that thread calls it once
/// the shell is made, so no two threads ever use it at once.
struct UncheckedStore: @unchecked Sendable {
    let store: any TradingPostStore
}
