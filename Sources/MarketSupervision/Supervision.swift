import MarketCore

/// The supervisor of a run as a pure state machine: process events and time in, effects out
/// (`step(event, now:)`), as `Peer` is for a peer. Processes, pipes, the database, timers and
/// the clock belong to the shell around it (`Supervisor` in MarketRuntime), which performs
/// the effects in order and feeds back what comes of them.
public struct Supervision: Sendable {
    public enum Phase: Hashable, Sendable {
        case starting
        case running
        case stopping
        case finished
    }

    public let config: SupervisionConfig
    public internal(set) var phase: Phase = .starting
    public internal(set) var peers: [PeerID: SupervisedPeer]
    /// How the run ends, as far as known.
    public internal(set) var end: RunEnd = .completed
    public internal(set) var problem: String?
    public internal(set) var interruptedBy: Int32?

    var startedAt: Duration?
    var runningSince: Duration?
    /// When the end began, and when the peers were told (once the history has it).
    var stopAskedAt: Duration?
    var stoppingSince: Duration?
    var saidWhatStoppingWaitsFor = false
    /// What to do once each `noteStopping` asked for is answered, in order.
    var noted: [EndingWay] = []

    enum EndingWay: Hashable, Sendable {
        /// Tell the peers to stop and write their ledgers.
        case stop
        /// Let the peers go without their ledgers.
        case abandon
    }

    var effects: [SupervisionEffect] = []
    var now: Duration = .zero

    public init(config: SupervisionConfig) {
        self.config = config
        peers = Dictionary(uniqueKeysWithValues: config.livePeers.map { ($0, SupervisedPeer(id: $0)) })
    }

    /// The peers in a fixed order (by id), so that the effects are the same on every run.
    var ids: [PeerID] { peers.keys.sorted() }

    var isLive: Bool { phase == .running || phase == .starting }

    /// Hosts are asked after while the run goes on, and while it stops for the ledgers: a
    /// peer lost then must still write its own.
    var probesHosts: Bool { isLive || (phase == .stopping && end == .completed) }

    /// The next tick should carry the run's progress.
    public var wantsProgress: Bool { phase == .running }

    /// Advances the machine by one event that happened at `now`.
    public mutating func step(_ event: SupervisionEvent, now: Duration) -> [SupervisionEffect] {
        self.now = now
        effects = []
        if startedAt == nil { startedAt = now }
        switch event {
        case .launch: launch()
        case .tick(let tally): tick(tally)
        case .progressUnreadable(let why): fail("cannot read the run's progress: \(why)")
        case .nemesisFailed(let why): fail(why)
        case .peerReady(let id): ready(id)
        case .peerSick(let id, let mode): sick(id, mode)
        case .peerStopped(let id):
            peers[id]?.state = .stopped
            checkStopped()
        case .peerStanding(let id, let standing): peers[id]?.standing = standing
        case .peerFatal(let id, let why):
            // A store error a peer cannot get past (disk full, read-only, a damaged schema)
            // would come back after every restart: the run ends now, and says why.
            fail("P\(id) cannot go on: \(why.isEmpty ? "fatal error" : why)")
        case .peerResumed(let id):
            // A continue is recorded when it is seen: look now, before the peer goes on, or
            // it could win an election before the history says it is up again.
            effects.append(.lookAtPauses)
            effects.append(.tell(id, .proceed))
        case .peerProcess(let id, let pid):
            peers[id]?.remoteCopies.insert(pid)
            peers[id]?.currentCopy = pid
        case .copyKilled(let id, let pid): peers[id]?.remoteCopies.remove(pid)
        case .peerExited(let id, let exit): exited(id, exit)
        case .hostProbed(let id, let answered): hostProbed(id, answered: answered)
        case .spawnFailed(let id, let why):
            peers[id]?.alive = false
            fail("cannot start P\(id): \(why)")
        case .peerUnreachable(let id, let why): fail("cannot talk to P\(id): \(why)")
        case .peerPaused(let id): paused(id)
        case .peerContinued(let id, let missedStop): continued(id, missedStop: missedStop)
        case .interrupted(let signal): interrupt(signal)
        case .historyWritten(.record): break
        case .historyWritten(.stopping): stoppingNoted()
        case .historyWritten(.end): summarize()
        case .historyFailed(.end, let why): unrecorded(why)
        case .historyFailed(_, let why):
            // A record that cannot be written makes the history untrue: the run ends.
            fail(why)
        case .summarized(let passed): done(passed: passed)
        case .wake(let timer): wake(timer)
        }
        return effects
    }

    mutating func launch() {
        for id in config.downAtStart { record(.downAtStart, id) }
        for id in config.livePeers { spawn(id, restart: false) }
    }

    mutating func spawn(_ id: PeerID, restart: Bool) {
        guard var peer = peers[id] else { return }
        peer.state = .starting
        peer.alive = true
        peer.paused = false
        peer.processes += 1
        peer.killedByUs = false
        peer.currentCopy = nil
        peer.restartAfterProbe = false
        peer.startedAt = now
        peers[id] = peer
        effects.append(.spawn(id, restart: restart))
    }

    mutating func record(_ fault: RunFault, _ id: PeerID) {
        effects.append(.record(fault, id))
    }

    mutating func say(_ text: String) {
        effects.append(.say(text))
    }

    /// The shell's regular look: the ends of the phases.
    mutating func tick(_ tally: RunTally?) {
        let startedAt = startedAt ?? now
        switch phase {
        case .starting:
            if now - startedAt > config.startLimit {
                fail("peers did not start listening within \(config.startLimit.wholeSeconds) s")
            }
        case .running:
            guard let tally else { return }
            if isDone(tally) {
                beginStopping()
            } else if now - startedAt > config.timeLimit {
                fail("time limit of \(config.timeLimit) reached with \(tally.decided)/\(config.totalRequests) decided, \(tally.pending) pending, \(tally.undelivered) undelivered")
            }
        case .stopping:
            stoppingTick()
        case .finished:
            break
        }
    }

    /// The core's rule for a finished run, on what the peers last said of themselves.
    func isDone(_ tally: RunTally) -> Bool {
        Settlement.isSettled(ids.map { peers[$0]!.settledStanding }, pending: tally.pending,
                             undelivered: tally.undelivered, storeEpoch: tally.epoch)
    }

    mutating func ready(_ id: PeerID) {
        guard peers[id]?.state == .starting else { return }
        if phase == .stopping {
            peers[id]?.state = .stopping
            // Told to stop once the history has the end; told now if it has it already.
            if stoppingSince != nil { effects.append(.tell(id, .stop)) }
            return
        }
        peers[id]?.state = .up
        if phase == .starting, peers.values.allSatisfy({ $0.state == .up }) {
            phase = .running
            runningSince = now
            for id in ids { effects.append(.tell(id, .begin)) }
            if peers[config.firstElection] != nil { effects.append(.tell(config.firstElection, .startElection)) }
        }
    }

    mutating func sick(_ id: PeerID, _ mode: SickMode) {
        guard isLive, var peer = peers[id] else { return }
        peer.state = .sick(mode)
        record(RunFault(mode), id)
        switch mode {
        case .silent, .resign:
            peer.comebacks += 1
            effects.append(.wake(after: config.recoverAfter, .recovery(id, process: peer.processes)))
        case .crash:
            peer.killedByUs = true
            effects.append(.kill(id))
        }
        peers[id] = peer
    }

    mutating func exited(_ id: PeerID, _ exit: PeerExit) {
        guard let peer = peers[id] else { return }
        peers[id]!.alive = false
        // A session that ended with the peer's own exit status: that process is gone.
        if !exit.sessionLost, let copy = peer.currentCopy { peers[id]!.remoteCopies.remove(copy) }
        switch phase {
        case .stopping, .finished:
            if phase == .stopping, peer.state == .stopping || peer.state == .starting, end == .completed {
                if !peer.killedByUs, exit.sessionLost {
                    // As while running: its host may only be cut off, and its process alive.
                    peers[id]!.state = .probing
                    probe(id)
                    return
                }
                restartForLedger(id, "exited while stopping (\(exit))")
                return
            }
            peers[id]!.state = .stopped
            checkStopped()
        case .starting, .running:
            if exit.couldNotStart {
                fail("P\(id) could not start (see the message above)")
                return
            }
            if !peer.killedByUs, exit.sessionLost {
                // Not known dead: its host may only be cut off. Asked before anything is recorded.
                peers[id]!.state = .probing
                probe(id)
                return
            }
            goneFor(id, killed: peer.killedByUs, "exited unexpectedly (\(exit))")
        }
    }

    /// Told to stop (or about to be) and gone without its ledger: a fault, and the peer is
    /// started again to write it (its books are in the store); one that keeps dying fails the
    /// run, which cannot be called completed without it.
    mutating func restartForLedger(_ id: PeerID, _ how: String) {
        say("P\(id) \(how); starting it again for its ledger")
        record(.crash, id)
        peers[id]!.quickExits += 1
        let exits = peers[id]!.quickExits
        guard exits < config.maxQuickExits else {
            peers[id]!.state = .stopped
            ledgerMissing(id, "exited \(exits) times while stopping")
            return
        }
        record(.recover, id)
        spawn(id, restart: true)
    }

    /// Asks the peer's host whether it answers, killing there every copy of it not known dead.
    mutating func probe(_ id: PeerID) {
        effects.append(.probeHost(id, killing: peers[id]?.remoteCopies.sorted() ?? []))
    }

    /// A peer whose process is gone: a crash unless the machine killed it, and started again
    /// after a wait that doubles with each quick exit in a row.
    mutating func goneFor(_ id: PeerID, killed: Bool, _ how: String) {
        guard let peer = peers[id] else { return }
        var delay = config.recoverAfter
        if !killed {
            say("P\(id) \(how); treating it as a crash")
            record(.crash, id)
            let exits = now - peer.startedAt < config.quickExit ? peer.quickExits + 1 : 0
            peers[id]!.quickExits = exits
            if exits >= config.maxQuickExits {
                fail("P\(id) exited \(exits) times in a row within \(config.quickExit.wholeSeconds) s of starting; giving up")
                return
            }
            // Each quick exit in a row doubles the wait before the next start.
            delay = config.recoverAfter * (1 << exits)
        }
        peers[id]!.state = .down
        peers[id]!.comebacks += 1
        effects.append(.wake(after: delay, .restart(id)))
    }

    /// A peer whose session was lost: its host answered (the peer is gone: a crash) or not
    /// (unreachable, recorded once and asked again until it answers).
    mutating func hostProbed(_ id: PeerID, answered: Bool) {
        guard probesHosts, let peer = peers[id] else { return }
        // The login that answered killed every copy it was given.
        if answered { peers[id]!.remoteCopies = [] }
        switch (peer.state, answered) {
        case (.probing, true) where peer.restartAfterProbe:
            record(.recover, id)
            spawn(id, restart: true)
        case (.probing, true) where phase == .stopping:
            restartForLedger(id, "lost its ssh session while stopping, but its host answers")
        case (.probing, true):
            goneFor(id, killed: false, "lost its ssh session, but its host answers")
        case (.probing, false):
            say("P\(id)'s host does not answer; recording it unreachable (not a crash) until it does")
            record(.unreachable, id)
            peers[id]!.state = .unreachable
            effects.append(.wake(after: config.probeEvery, .probe(id)))
        case (.unreachable, false):
            effects.append(.wake(after: config.probeEvery, .probe(id)))
        case (.unreachable, true):
            // The probe killed whatever was left of its last process: one copy only.
            say("P\(id)'s host answers again; starting it anew")
            record(.reachable, id)
            spawn(id, restart: true)
        default:
            break
        }
    }

    mutating func wake(_ timer: SupervisionTimer) {
        switch timer {
        case .recovery(let id, let process):
            guard let peer = peers[id] else { return }
            peers[id]!.comebacks -= 1
            guard peer.alive, peer.processes == process, case .sick = peer.state, phase == .running else { return }
            // A peer stopped from outside cannot come back yet: it does when it continues.
            if peer.paused {
                peers[id]!.recoveryDue = true
                return
            }
            record(.recover, id)
            comeBack(id)
        case .restart(let id):
            guard let peer = peers[id] else { return }
            peers[id]!.comebacks -= 1
            guard peer.state == .down, isLive else { return }
            if !peer.remoteCopies.isEmpty {
                // Killed over ssh without word that the kill got there (its host cut off,
                // say): the old process may still run, so its host is asked first, and the
                // same login kills it.
                peers[id]!.state = .probing
                peers[id]!.restartAfterProbe = true
                probe(id)
                return
            }
            record(.recover, id)
            spawn(id, restart: true)
        case .probe(let id):
            guard peers[id]?.state == .unreachable, probesHosts else { return }
            probe(id)
        case .killAll:
            effects.append(.killAll)
        }
    }

    mutating func comeBack(_ id: PeerID) {
        peers[id]?.recoveryDue = false
        peers[id]?.state = .up
        effects.append(.tell(id, .recover))
    }

    /// The history holds one `sick` … `recover` span for as long as a peer is sick, stopped
    /// from outside, or both: a pause of a peer already sick adds nothing, and its scheduled
    /// recovery waits until it continues.
    mutating func paused(_ id: PeerID) {
        guard let peer = peers[id], !peer.paused else { return }
        peers[id]?.paused = true
        guard isLive else { return }
        say("P\(id) was stopped from outside; it counts as sick until it continues")
        if case .sick = peer.state { return }
        record(.sick, id)
    }

    mutating func continued(_ id: PeerID, missedStop: Bool) {
        guard let peer = peers[id] else { return }
        peers[id]?.paused = false
        guard isLive else { return }
        if case .sick = peer.state {
            guard peer.recoveryDue else { return }
            record(.recover, id)
            comeBack(id)
            return
        }
        // A stop and continue between two looks still happened: both go into the history.
        if missedStop { record(.sick, id) }
        record(.recover, id)
    }
}

extension Duration {
    var wholeSeconds: Int64 { components.seconds }
}
