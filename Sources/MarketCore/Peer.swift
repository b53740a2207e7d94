/// One peer of the trading post as a pure state machine: `step(event, now:)` in, effects out.
/// Sockets, the store, timers and the wall clock belong to the shell around it (the
/// simulator or a peer process), as in etcd's raft library.
public struct Peer: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        case notStarted
        /// Restarted after a crash, reading its books back from the store.
        case restoring
        case up
        case sick(SickMode)
    }

    public let config: PeerConfig
    public var id: PeerID { config.id }

    public internal(set) var status: Status = .notStarted
    public internal(set) var clock = LamportClock()
    public internal(set) var ledger = Ledger()
    /// Frames that no honest peer of the run could have sent (see `FrameAdmission`), dropped.
    public internal(set) var rejectedFrames = 0
    /// Frames whose word on the trader the store's leader record did not back (`LeaderClaim`), dropped.
    public internal(set) var unbackedClaims = 0
    /// A frame that says who trades waits for the store's leader record, and every frame that
    /// arrives after it waits behind it, so each sender's frames still take effect in order.
    public internal(set) var heldFrames: [Envelope] = []
    /// A `.readLeader` is out for the first held frame.
    var awaitingLeaderRecord = false
    var random: SplitMix64

    // What this peer knows of the others.
    var lastHeard: [PeerID: Duration] = [:]
    public internal(set) var lastSeen: [PeerID: UInt64] = [:]
    var upSince: Duration = .zero
    /// When this peer last took office as trader (`claimed`).
    var tradingSince: Duration = .zero
    /// When this peer last sent each peer anything: a heartbeat goes only where nothing did.
    var lastSentTo: [PeerID: Duration] = [:]
    /// Peers the transport saw go away, and when (`Event.peerGone`).
    var goneAt: [PeerID: Duration] = [:]
    /// Buyers that said they will buy no more.
    public internal(set) var doneBuying: Set<PeerID> = []
    /// A buy seen this turn that the trader should hear was seen (the acknowledgement goes at
    /// the end of the turn, unless something else goes to the trader first).
    var ackOwed: RequestID?
    /// Results and payouts to confirm, per trader that sent them; they go out together at the
    /// next heartbeat tick.
    var owedConfirmations: [PeerID: [RequestID]] = [:]

    // Election.
    public internal(set) var knownEpoch: Epoch = 0
    public internal(set) var leader: PeerID?
    /// A message came from the current leader itself since this peer (re)joined: only then
    /// is its clock past everything that leader decided, so it may buy.
    var leaderContact = false
    /// The newest epoch whose trader this peer saw resign or fall silent.
    var lostEpoch: Epoch = 0
    var election: ElectionPhase = .idle
    /// Claims the store refused in a row; past the first, the next round waits a timeout.
    var refusedClaims = 0
    /// A `.readLease` is out (the trader fell silent, `Lease.swift`), with the reason the
    /// election will have if the lease has lapsed.
    var leaseAsked: ElectionReason?
    /// The last answer was a live lease: this peer waits instead of electing (and said so once).
    var heldByLease = false

    // Roles.
    public internal(set) var trader: TraderState?
    public internal(set) var buyer: BuyerState
    public internal(set) var seller: SellerState

    // What one step is given and gives back: not the peer's state, so two peers that differ
    // only in these are equal (the explorer deduplicates states by this equality).
    @StepScratch var effects: [Effect] = []
    @StepScratch var now: Duration = .zero

    /// - Parameter incarnation: how many times this peer's process was restarted after a
    ///   crash. Each incarnation draws its own random stream; a restarted peer replaying the
    ///   same choices would fall sick after the same number of requests every time.
    public init(config: PeerConfig, incarnation: Int = 0) {
        self.config = config
        random = SplitMix64.derive(config.seed, UInt64(config.id) | UInt64(incarnation) << 32)
        buyer = BuyerState()
        seller = SellerState()
    }

    public var isUp: Bool { status == .up }
    public var isTrader: Bool { trader?.phase == .active && leader == id }
    /// Every other peer of the run.
    var others: [PeerID] { config.peers.filter { $0 != id } }

    /// Advances the machine by one event that happened at `now`.
    public mutating func step(_ event: Event, now: Duration) -> [Effect] {
        self.now = now
        effects = []
        if event == .endOfTurn {
            // Only what the turn owes: nothing else changed, so nothing else can follow.
            if status == .up { endTurn() }
            return effects
        }
        switch (status, event) {
        case (.notStarted, .start):
            join()
            startHeartbeats()
        case (.notStarted, .restart):
            status = .restoring
            persist(.loadBooks(peer: id))
        case (.restoring, .persisted(.books(let books))):
            restore(from: books)
            join()
            startHeartbeats()
            // An election it noted before it crashed died with its memory; the recovery is a new one.
            persist(.noteElectionAbandoned(by: id))
            startElection(.recovery, initiator: id)
        case (.sick, .command(.recover)):
            if election.noted { persist(.noteElectionAbandoned(by: id)) }
            join()
            startHeartbeats()
            startElection(.recovery, initiator: id)
        case (.sick, .persisted(let result)):
            // Silent, not amnesic: money a commit already made is still this peer's.
            if case .committed(let batch, let earlier) = result { creditCommissions(batch.written(alreadyDecided: earlier)) }
        case (.up, _):
            handle(event)
        default:
            break
        }
        if status == .up { progress() }
        return effects
    }

    mutating func handle(_ event: Event) {
        switch event {
        case .start, .restart: break
        case .receive(let envelope): receive(envelope)
        case .timer(let timer): fire(timer)
        case .command(.startElection): startElection(.startup, initiator: id)
        case .command(.fallSick(let mode)): fallSick(mode)
        case .command(.recover): break
        case .persisted(let result): persisted(result)
        case .endOfTurn: endTurn()
        case .peerGone(let peer): peerGone(peer)
        }
    }

    /// (Re)joins as a plain peer: no trader role, no claim on the leader until it hears one.
    mutating func join() {
        status = .up
        upSince = now
        trader = nil
        leader = nil
        leaderContact = false
        election = .idle
        ackOwed = nil
        heldFrames = []
        awaitingLeaderRecord = false
        leaseAsked = nil
        heldByLease = false
    }

    /// Nothing to announce: a peer speaks to the trader once it knows one, and the trader to
    /// every peer.
    mutating func startHeartbeats() {
        effects.append(.setTimer(.heartbeat, after: config.timing.heartbeat))
    }

    // MARK: Receiving

    /// The one admission of a frame: checked against the scenario, then (if it says who
    /// trades) against the store's leader record, then taken in.
    mutating func receive(_ envelope: Envelope) {
        if let rejection = envelope.rejection(by: config) {
            rejectedFrames += 1
            // A flood of bad frames must not become a flood of log lines.
            if rejectedFrames <= 10 || rejectedFrames & (rejectedFrames - 1) == 0 {
                log("drops frame #\(rejectedFrames) (\(envelope.message.kind) from P\(envelope.from)): \(rejection)")
            }
            return
        }
        if awaitingLeaderRecord || needsBacking(envelope) {
            hold(envelope)
            return
        }
        admit(envelope)
    }

    /// Takes in a frame that passed every check.
    mutating func admit(_ envelope: Envelope) {
        clock.witness(envelope.clock)
        let from = envelope.from
        lastSeen[from] = max(lastSeen[from] ?? 0, envelope.clock)
        lastHeard[from] = now
        goneAt[from] = nil
        if from == leader { leaderContact = true }

        switch envelope.message {
        case .election: receiveElection(from: from)
        case .ok: receiveOK(from: from)
        case .coordinator(let epoch): receiveCoordinator(epoch: epoch, from: from)
        case .resign(let epoch): receiveResign(epoch: epoch, from: from)
        case .heartbeat(let epoch, let theirLeader): receiveHeartbeat(epoch: epoch, leader: theirLeader, from: from)
        case .buy(let request, let firstAttempt): receiveBuy(request, firstAttempt: firstAttempt, from: from)
        case .ack: break  // its stamp, already noted, is the point
        case .doneBuying: doneBuying.insert(from)
        case .queued(let requestID): receiveQueued(requestID)
        case .restamp(let requestID): receiveRestamp(requestID)
        case .buyResult(let requestID, let outcome): receiveResult(requestID, outcome, from: from)
        case .deposit(let deposit): receiveDeposit(deposit)
        case .depositAccepted(let depositID): receiveDepositAccepted(depositID)
        case .payout(let requestID, let trade): receivePayout(requestID, trade, from: from)
        case .delivered(let requestIDs): receiveDelivered(requestIDs, from: from)
        }
    }

    mutating func fire(_ timer: PeerTimer) {
        switch timer {
        case .heartbeat: heartbeatTick()
        case .election: electionTimedOut()
        case .coordinator: coordinatorTimedOut()
        case .request: requestTimedOut()
        case .deposit: depositTimedOut()
        }
    }

    mutating func persisted(_ result: StoreResult) {
        switch result {
        case .claimed(let claim): claimed(claim)
        case .claimRefused(let current): claimRefused(current: current)
        case .takeover(let takeover): tookOver(takeover)
        case .enqueued(let request): enqueued(request)
        case .alreadyPending(let request): alreadyPending(request)
        case .alreadyDecided(let decision): alreadyDecided(decision)
        case .depositRecorded(let deposit, let duplicate): depositRecorded(deposit, duplicate: duplicate)
        case .committed(let batch, let earlier): committed(batch, alreadyDecided: earlier)
        case .markedDelivered: trader?.flushInFlight = false
        case .books, .noted: break
        case .leaderRecord(let epoch, let leader): judgeHeldFrames(storeEpoch: epoch, storeLeader: leader)
        case .deposed(let current): deposed(current: current)
        case .leaseRenewed: break
        case .lease(let epoch, let leader, let live): leaseAnswered(epoch: epoch, leader: leader, live: live)
        }
    }

    /// Whatever the peer can do now that it could not before: decide, buy, deposit.
    mutating func progress() {
        if trader?.phase == .active { decide() }
        if trader == nil {
            buyIfReady()
            depositIfReady()
        }
    }

    // MARK: Helpers

    /// Heard from within `suspectAfter`. A peer not heard from since this one (re)joined
    /// counts as heard at that moment: a fresh trader must not decide past peers it has
    /// simply not heard from yet.
    func isLive(_ peer: PeerID) -> Bool {
        now - max(lastHeard[peer] ?? upSince, upSince) < config.timing.suspectAfter
    }

    mutating func send(_ message: Message, to peer: PeerID) {
        let stamp = clock.tick()
        sent(to: peer)
        effects.append(.send(Envelope(from: id, to: peer, clock: stamp, message: message)))
    }

    /// Anything sent is a sign of life, and anything sent to the trader is stamped past every
    /// buy seen so far: it does what a heartbeat or an acknowledgement would.
    mutating func sent(to peer: PeerID) {
        lastSentTo[peer] = now
        if peer == leader { ackOwed = nil }
    }

    /// One send event, one stamp, a copy to every other peer.
    mutating func broadcast(_ message: Message, to peers: [PeerID]? = nil) {
        let targets = peers ?? others
        guard !targets.isEmpty else { return }
        let stamp = clock.tick()
        for peer in targets {
            sent(to: peer)
            effects.append(.send(Envelope(from: id, to: peer, clock: stamp, message: message)))
        }
    }

    mutating func persist(_ request: StoreRequest) {
        effects.append(.persist(request))
    }

    mutating func log(_ line: String) {
        effects.append(.log(line))
    }

    mutating func fallSick(_ mode: SickMode) {
        log("falls sick (\(mode.rawValue))")
        if mode == .resign, leader == id {
            broadcast(.resign(epoch: knownEpoch))
        }
        status = .sick(mode)
        for timer in [PeerTimer.heartbeat, .election, .coordinator, .request, .deposit] {
            effects.append(.cancelTimer(timer))
        }
        effects.append(.fellSick(mode))
    }
}
