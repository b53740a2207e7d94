/// The trader's lease: "I cannot reach the trader" need not mean "the trader is gone".
///
/// Under a cut link (a partition, a bridge, a one-way or flaky cut) frames are lost and
/// connections stay up, so a silent trader was taken for gone: the side without it elected
/// its own, whose epoch fenced the old one, whose side then elected again, and so on. Safe
/// (the store fences) but a storm. Every peer reaches the store, though, and the store holds a
/// clock every host shares: the leader record carries a lease the trader renews every
/// heartbeat, fenced by its epoch, and the store alone judges whether it is live (the core
/// reads no clock).
///
/// - The trader takes its lease with its claim, then renews it only while it heard from at
///   least one other peer within `Timing.leaseHeardWithin`: a trader cut off from every peer
///   lets its lease lapse, so it cannot keep office by renewing. The term (`Timing.leaseTerm`)
///   is the suspect time less that window, so a lapsed lease and a peer's suspicion come
///   about together: an isolated trader is replaced within about one suspect time and one
///   election.
/// - A peer whose trader is silent for the suspect time (or whose request timed out with the
///   trader silent) asks the store before it elects: while the lease is live it keeps its
///   trader, its buyer sends the request again at each timeout, and it asks again every
///   heartbeat; once the lease has lapsed it elects as before. A closed connection
///   (`peerGone`) is not silence: it still means gone at once, without asking.
/// - A peer with no trader at all (a trader just deposed by the fence, one that missed the
///   COORDINATOR) asks too: while someone else's lease is live it waits for that trader's
///   heartbeat, which reaches every peer it can reach, rather than claim an epoch it would
///   take from a trader the others still hear.
///
/// The lease is only ever a reason not to elect: no write depends on it, the epoch still
/// fences every one, so a wrong answer (a clock step, a slow store) costs an election or a
/// wait, never a decision. It gates suspicion from silence alone; Bully's other paths stay
/// as they were, and why:
/// - An ELECTION from a lower peer is answered with OK and taken over, lease or no lease.
///   That peer has a reason the lease does not cover or has already judged (its lease lapsed,
///   the trader's connection closed, it recovered): declining would not stop its election, it
///   would only let a lower peer win, against Bully.
/// - A recovered peer holds its recovery election, and a higher peer that learns of a lower
///   trader (a COORDINATOR, a heartbeat, also after a heal, say from the trader that replaced
///   an isolated higher one) holds its own: Bully's one more election when a higher peer
///   comes back. Nothing learnt from the lease record starts one; only a trader's own word
///   does, so a peer still cut off cannot depose a trader the others hear.
/// - A heal needs nothing: a peer that kept its trader through the cut simply hears it again.
extension Timing {
    /// A trader that heard from no other peer for this long lets its lease lapse: two
    /// heartbeat periods, since every peer that hears nothing else from it heartbeats it
    /// every period.
    public var leaseHeardWithin: Duration { heartbeat * 2 }

    /// How far past the store's clock each renewal carries the lease: the suspect time less
    /// `leaseHeardWithin`, so a lease that stopped being renewed has lapsed by the time the
    /// peers take the trader for silent; never less than a heartbeat period.
    public var leaseTerm: Duration { max(heartbeat, suspectAfter - leaseHeardWithin) }
}

extension Peer {
    /// Heard from some other peer lately: the trader is not cut off from every one.
    var heardFromAnyoneLately: Bool {
        others.contains { peer in
            guard let heard = lastHeard[peer] else { return false }
            return now - heard < config.timing.leaseHeardWithin
        }
    }

    /// The trader's renewal, each heartbeat while it hears someone (and once on taking office,
    /// `claimed`).
    mutating func renewLeaseIfHeard() {
        guard let state = trader, leader == id, heardFromAnyoneLately else { return }
        persist(.renewLease(epoch: state.epoch, for: config.timing.leaseTerm))
    }

    /// Silence where a trader should be: the store says whether its lease is live before this
    /// peer elects, for `reason`. One question at a time; the next heartbeat asks again.
    mutating func askLease(electing reason: ElectionReason) {
        guard leaseAsked == nil else { return }
        leaseAsked = reason
        persist(.readLease)
    }

    /// The store's answer to `askLease`. What this peer knows may have moved on while it was
    /// out (its trader heard from, another followed, an election begun): it acts only on what
    /// still stands.
    mutating func leaseAnswered(epoch: Epoch, leader recordLeader: PeerID?, live: Bool) {
        guard let reason = leaseAsked else { return }
        leaseAsked = nil
        let timing = config.timing
        if let leader {
            guard leader != id, !isLive(leader) else { return }
            if live, epoch == knownEpoch, recordLeader == leader {
                if !heldByLease { log("trader P\(leader) silent for \(timing.suspectAfter) but its lease is live: no election") }
                heldByLease = true
                if reason == .requestTimeout, trader == nil {
                    // A buyer cut off waits and retries: after the heal, its requests are decided once.
                    for request in buyer.inFlight { multicast(request) }
                }
                return
            }
            heldByLease = false
            if live, epoch > knownEpoch, recordLeader != id {
                // Deposed by a newer trader this peer never heard of: that one's word will come.
                log("trader P\(leader) was replaced in epoch \(epoch); waits for its word")
                loseLeader()
                knownEpoch = epoch
                return
            }
            log("trader P\(leader) silent and its lease lapsed")
            if reason == .heartbeatTimeout {
                // Silent that long, it will not answer an ELECTION within the timeout either:
                // the election does not wait for it. If it was only slow, it is the higher
                // peer that comes back and holds its own election, as Bully has it.
                goneAt[leader] = now
            }
            loseLeader()
            startElection(reason, initiator: id)
        } else if election == .idle {
            if live, recordLeader != id, epoch >= knownEpoch, epoch > lostEpoch {
                if !heldByLease { log("no trader heard, but P\(recordLeader.map(String.init) ?? "?") holds a live lease for epoch \(epoch): waits for its word") }
                heldByLease = true
                knownEpoch = epoch
                return
            }
            heldByLease = false
            startElection(reason, initiator: id)
        }
    }
}
