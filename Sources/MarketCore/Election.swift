/// A seam for the checks' own tests, as `OrderBook.StabilityRule` is.
public enum ElectionRule: Sendable, Hashable, Codable {
    /// ELECTION to every higher peer, the highest that answers wins; a higher peer that hears
    /// of a lower trader holds its own election.
    case bully
    /// A planted bug: a candidate claims the next epoch without asking anyone, and a higher
    /// peer follows a lower trader without a word. The Bully checks must catch it.
    case claimAtOnce
    /// A planted bug: a peer believes any frame's word on who trades without asking the
    /// store whether it granted that epoch (`LeaderClaim`). The simulator's forged claims
    /// must show it.
    case trustsClaims

    /// Bully's rounds: ELECTION to the higher peers, and a higher peer bullies a lower trader.
    var asksHigherPeers: Bool { self != .claimAtOnce }
}

/// Where a peer stands in a Bully election.
public enum ElectionPhase: Hashable, Sendable {
    case idle
    /// ELECTION sent to the highest reachable peer only: if it answers, it is the one that
    /// wins, and asking every higher peer (each of which would ask every peer above it in
    /// turn, O(n²) frames) would only make the others busy. Silent past the timeout, the
    /// rest are asked as Bully has it.
    case awaitingHighest(reason: ElectionReason, initiator: PeerID, asked: PeerID)
    /// ELECTION sent to every higher peer; an OK from any of them hands the election on.
    case awaitingOK(reason: ElectionReason, initiator: PeerID)
    /// A higher peer answered; its COORDINATOR should follow.
    case awaitingCoordinator(reason: ElectionReason, initiator: PeerID)
    /// No higher peer answered: this peer asked the store for the next epoch.
    case claiming(ElectionClaim)

    /// Whether this peer noted the election in the store (`startElection` notes all but
    /// Bully's cascade), and so owes the store word if it gives the election up.
    var noted: Bool {
        switch self {
        case .idle: false
        case .awaitingHighest(let reason, _, _), .awaitingOK(let reason, _), .awaitingCoordinator(let reason, _):
            reason != .bully
        case .claiming(let claim): claim.reason != .bully
        }
    }
}

extension Peer {
    public var electionPhase: ElectionPhase { election }

    mutating func startElection(_ reason: ElectionReason, initiator: PeerID) {
        switch election {
        case .awaitingHighest, .awaitingOK, .awaitingCoordinator, .claiming: return
        case .idle: break
        }
        // A higher peer the transport just saw go away cannot answer: no use waiting for it.
        let higher = config.electionRule.asksHigherPeers ? reachableHigherPeers : []
        log("starts an election (\(reason.rawValue))")
        if reason != .bully {
            // Bully's own cascade (a lower peer's election reaching this one) is the same election.
            persist(.noteElectionStarted(by: id, reason: reason, knownEpoch: knownEpoch))
        }
        if let highest = higher.max(), higher.count > 1 {
            send(.election, to: highest)
            election = .awaitingHighest(reason: reason, initiator: initiator, asked: highest)
            effects.append(.setTimer(.election, after: config.timing.electionTimeout))
        } else {
            askHigherPeers(higher, reason: reason, initiator: initiator)
        }
    }

    /// Bully's round: ELECTION to every peer in `higher`, or the claim if there is none.
    mutating func askHigherPeers(_ higher: [PeerID], reason: ElectionReason, initiator: PeerID) {
        if higher.isEmpty {
            claim(reason: reason, initiator: initiator)
        } else {
            broadcast(.election, to: higher)
            election = .awaitingOK(reason: reason, initiator: initiator)
            effects.append(.setTimer(.election, after: config.timing.electionTimeout))
        }
    }

    /// The highest peer asked cannot answer (silent past the timeout, or gone): the other
    /// higher peers are asked.
    mutating func askRestOfHigherPeers() {
        guard case .awaitingHighest(let reason, let initiator, let asked) = election else { return }
        effects.append(.cancelTimer(.election))
        askHigherPeers(reachableHigherPeers.filter { $0 != asked }, reason: reason, initiator: initiator)
    }

    mutating func claim(reason: ElectionReason, initiator: PeerID) {
        // Before any epoch, a lower peer's ELECTION that reached this one is the startup
        // election itself, and its claim says so: the store would take the initiator's note
        // for the reason, but at startup that note may not have landed when the claim does.
        let reason = reason == .bully && knownEpoch == 0 ? .startup : reason
        let claim = ElectionClaim(epoch: knownEpoch + 1, leader: id, initiator: initiator, reason: reason)
        election = .claiming(claim)
        persist(.claimEpoch(claim))
    }

    mutating func receiveElection(from peer: PeerID) {
        guard peer < id else { return }
        send(.ok, to: peer)
        if leader == id, trader != nil {
            // Already the trader: the caller only needs to hear who it is.
            send(.coordinator(epoch: knownEpoch), to: peer)
        } else {
            startElection(.bully, initiator: peer)
        }
    }

    mutating func receiveOK(from peer: PeerID) {
        let reason: ElectionReason, initiator: PeerID
        switch election {
        case .awaitingOK(let r, let i), .awaitingHighest(let r, let i, _): (reason, initiator) = (r, i)
        default: return
        }
        guard peer > id else { return }
        election = .awaitingCoordinator(reason: reason, initiator: initiator)
        effects.append(.cancelTimer(.election))
        effects.append(.setTimer(.coordinator, after: config.timing.coordinatorTimeout))
    }

    mutating func electionTimedOut() {
        if case .awaitingHighest = election {
            askRestOfHigherPeers()
            return
        }
        guard case .awaitingOK(let reason, let initiator) = election else { return }
        claim(reason: reason, initiator: initiator)
    }

    mutating func coordinatorTimedOut() {
        guard case .awaitingCoordinator(let reason, let initiator) = election else { return }
        election = .idle
        startElection(reason == .coordinatorTimeout ? reason : .coordinatorTimeout, initiator: initiator)
    }

    mutating func receiveCoordinator(epoch: Epoch, from peer: PeerID) {
        if case .claiming(let claim) = election, epoch < claim.epoch {
            return  // our claim, if it lands, supersedes this one
        }
        guard epoch > knownEpoch || (epoch == knownEpoch && (leader == nil || leader == peer)) else { return }
        let idle = election == .idle
        follow(peer, epoch: epoch, direct: true)
        if peer < id, idle, leader == peer, config.electionRule.asksHigherPeers {
            // It won without hearing from this higher peer (this one was not listening yet):
            // the classic algorithm has the higher peer hold an election of its own.
            startElection(.lowerTrader, initiator: id)
        }
    }

    mutating func receiveResign(epoch: Epoch, from peer: PeerID) {
        guard epoch == knownEpoch, leader == peer else { return }
        loseLeader()
        startElection(.resign, initiator: id)
    }

    mutating func receiveHeartbeat(epoch: Epoch, leader theirLeader: PeerID?, from peer: PeerID) {
        if epoch < knownEpoch, theirLeader == peer, let leader {
            // A trader of an older term (it was paused or sick) still heartbeats: peers no
            // longer hear each other, so the ones it reaches tell it who leads now.
            send(.heartbeat(epoch: knownEpoch, leader: leader), to: peer)
            return
        }
        // A peer that missed the COORDINATOR (it was sick, or deposed by the store) learns
        // of the trader here.
        guard let theirLeader,
              epoch > knownEpoch || (epoch == knownEpoch && leader == nil && epoch > lostEpoch) else { return }
        if theirLeader == id {
            // The others take this peer for the trader of a term it lost with its memory (a
            // crash): whoever it follows now is older news. Only a new claim makes it trader.
            knownEpoch = epoch
            loseLeader()
            startElection(.recovery, initiator: id)
        } else {
            let idle = election == .idle
            follow(theirLeader, epoch: epoch, direct: theirLeader == peer)
            if theirLeader < id, idle, leader == theirLeader, config.electionRule.asksHigherPeers {
                // However it learns of a lower trader (its COORDINATOR lost on a cut link, or
                // read late after a pause), a higher peer holds its own election, as Bully has it:
                // else a buyer in office below it would never buy again.
                startElection(.lowerTrader, initiator: id)
            }
        }
    }

    /// The trader of `knownEpoch` is gone (resigned or silent): hearsay naming it again is stale.
    mutating func loseLeader() {
        leader = nil
        leaderContact = false
        lostEpoch = max(lostEpoch, knownEpoch)
    }

    /// Accepts `peer` as the trader of `epoch`, stepping down if this peer was trading.
    mutating func follow(_ peer: PeerID, epoch: Epoch, direct: Bool) {
        if peer < id, election != .idle {
            // A higher peer holding its own election (a recovery) does not bow to a lower
            // trader: it learns the epoch, and its election makes it the trader (Bully).
            knownEpoch = max(knownEpoch, epoch)
            return
        }
        if trader != nil, peer != id {
            stepDown("P\(peer) leads epoch \(epoch)")
        }
        if election.noted {
            // Following a trader ends this peer's election. If no claim ended it (the trader
            // it took for gone answered), its note would otherwise stay in the leader record
            // and lend its start to the next election's row.
            persist(.noteElectionAbandoned(by: id))
        }
        let changed = leader != peer || knownEpoch != epoch
        knownEpoch = max(knownEpoch, epoch)
        refusedClaims = 0
        leader = peer
        if changed { leaderContact = direct } else if direct { leaderContact = true }
        switch election {
        case .awaitingHighest, .awaitingOK:
            effects.append(.cancelTimer(.election))
        case .awaitingCoordinator:
            effects.append(.cancelTimer(.coordinator))
        case .claiming, .idle:
            break
        }
        election = .idle
        if changed {
            log("follows trader P\(peer) (epoch \(epoch))")
            // A new trader may not know that this peer buys no more; it would wait for it.
            announceDoneBuying(to: [peer])
        }
    }

    mutating func claimed(_ claim: ElectionClaim) {
        guard case .claiming(let mine) = election, mine == claim else { return }
        election = .idle
        refusedClaims = 0
        knownEpoch = claim.epoch
        leader = id
        leaderContact = true
        tradingSince = now
        trader = TraderState(epoch: claim.epoch, rule: config.stabilityRule)
        effects.append(.cancelTimer(.request))
        effects.append(.cancelTimer(.deposit))
        log("won the election for epoch \(claim.epoch) (\(claim.reason.rawValue)); taking over the queue")
        persist(.loadTakeover(epoch: claim.epoch))
        // The claim voided the last trader's lease. This one's begins now, heard from anyone or
        // not (a peer restarted after a crash has heard nobody yet): else a trader it deposed,
        // which learns so from the fence at once, would find no lease and elect again before
        // the COORDINATOR reaches it. Cut off from every peer, it lapses after one term.
        persist(.renewLease(epoch: claim.epoch, for: config.timing.leaseTerm))
    }

    mutating func claimRefused(current: Epoch) {
        guard case .claiming(let claim) = election else { return }
        election = .idle
        // The store's epoch is the truth: an epoch above it (a forged or mistaken word) was
        // never claimed by anyone, and claiming past it would be refused for ever.
        knownEpoch = current
        refusedClaims += 1
        guard leader == nil else { return }
        if refusedClaims == 1 {
            // The same election, now past the store's epoch: it keeps its reason.
            startElection(claim.reason, initiator: claim.initiator)
        } else {
            // Refused again: another round only after a timeout, never in a loop without one.
            election = .awaitingOK(reason: claim.reason, initiator: claim.initiator)
            effects.append(.setTimer(.election, after: config.timing.electionTimeout))
        }
    }
}
