/// Failure detection centred on the trader, as Raft's leader does it: the trader tells every
/// peer it is alive and every peer tells the trader, O(n) messages a period instead of every
/// peer telling every other. Any message counts as a sign of life, so a heartbeat goes only
/// toward a peer that was sent nothing during the last period. Peers that are not the trader
/// learn of each other only what Bully's ELECTION and OK tell them.
extension Peer {
    mutating func heartbeatTick() {
        effects.append(.setTimer(.heartbeat, after: config.timing.heartbeat))
        sendConfirmations()
        if leader == id {
            // One send event, one stamp, for every peer that heard nothing from the trader lately.
            broadcast(.heartbeat(epoch: knownEpoch, leader: id), to: others.filter(isQuiet))
            renewLeaseIfHeard()
        } else if let leader {
            if !isLive(leader) {
                // Cut off is not gone: the store says whether the trader still holds its lease.
                askLease(electing: .heartbeatTimeout)
            } else {
                heldByLease = false
                if isQuiet(toward: leader) {
                    send(.heartbeat(epoch: knownEpoch, leader: leader), to: leader)
                }
            }
        } else if election == .idle, now - upSince >= config.timing.suspectAfter {
            askLease(electing: .heartbeatTimeout)
        }
        traderTick()
    }

    /// Sent nothing to `peer` for a whole heartbeat period.
    func isQuiet(toward peer: PeerID) -> Bool {
        guard let last = lastSentTo[peer] else { return true }
        return now - last >= config.timing.heartbeat
    }

    /// The transport saw `peer` go away. Losing the trader starts an election at once, and
    /// an election stops waiting for an OK from a higher peer that cannot send one.
    mutating func peerGone(_ peer: PeerID) {
        guard peer != id else { return }
        goneAt[peer] = now
        if peer == leader {
            log("lost the connection to trader P\(peer)")
            loseLeader()
            startElection(.traderGone, initiator: id)
        } else if case .awaitingHighest(_, _, let asked) = election, asked == peer {
            askRestOfHigherPeers()
        } else if case .awaitingOK(let reason, let initiator) = election, reachableHigherPeers.isEmpty {
            effects.append(.cancelTimer(.election))
            claim(reason: reason, initiator: initiator)
        }
    }

    /// Gone by the transport's word, lately: for one election timeout, or until it is heard
    /// from. Past that the word may be stale (a crashed peer restarts), and Bully must not
    /// pass over a higher peer that is back.
    func isGone(_ peer: PeerID) -> Bool {
        guard let at = goneAt[peer] else { return false }
        return now - at < config.timing.electionTimeout
    }

    /// Higher peers an election must hear from, or wait out.
    var reachableHigherPeers: [PeerID] {
        config.peers.filter { $0 > id && !isGone($0) }
    }

    /// Confirms at once every result and payout that came in since the last tick, one
    /// message per trader that sent them.
    mutating func sendConfirmations() {
        guard !owedConfirmations.isEmpty else { return }
        let owed = owedConfirmations
        owedConfirmations = [:]
        for trader in owed.keys.sorted() where trader != id {
            // Each id once, and never more in one message than a frame (and the receiver) takes.
            var seen: Set<RequestID> = []
            let ids = (owed[trader] ?? []).filter { seen.insert($0).inserted }
            for start in stride(from: 0, to: ids.count, by: WireLimits.maxDeliveredIDs) {
                send(.delivered(Array(ids[start..<min(start + WireLimits.maxDeliveredIDs, ids.count)])), to: trader)
            }
        }
    }

    /// Notes that a result or payout from `trader` arrived; it is confirmed at the next tick.
    mutating func owesConfirmation(of requestID: RequestID, to trader: PeerID) {
        owedConfirmations[trader, default: []].append(requestID)
    }
}
