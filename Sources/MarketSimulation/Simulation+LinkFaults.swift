import MarketCore

/// Faults of the links, from the simulator's own seeded streams: a first copy of a buy that
/// stalls on its way, and frames that claim an epoch the store never granted.
extension Simulation {
    /// Now and then a first copy of a buy to the highest buyer stalls on its link, with what
    /// follows it, for 0.2 to 1.2 s, as on a peer that reads one socket late (a starved
    /// process). If the trader falls sick meanwhile, that buyer may become the trader (or
    /// lose to the lower buyer whose ELECTION it did not read) while the copy is on its way,
    /// and read it after the request was decided: issue 13's "already decided"
    /// (`Peer.committed`).
    func maybeStall(_ envelope: Envelope) {
        guard options.stalls, case .buy(_, firstAttempt: true) = envelope.message,
              envelope.to == highestBuyer, stalledUntil[envelope.from * 1024 + envelope.to] ?? .zero < now,
              nemesis.chance(0.1) else { return }
        let until = now + .milliseconds(200) + .nanoseconds(Int64(nemesis.next() % 1_000_000_000))
        stalledUntil[envelope.from * 1024 + envelope.to] = until
        stalls[envelope.from * 1024 + envelope.to, default: []].append(now...until)
        remember(.stall(from: envelope.from, to: envelope.to, until: until))
        onTrace?(trace.last!)
    }

    /// An up peer sends another a COORDINATOR, or a heartbeat naming some peer the trader, of
    /// an epoch past the store's, stamped with its current clock (so every later frame of it
    /// is stamped past it) and queued on its link behind what it sent before; then, now and
    /// then, another.
    func forge() {
        let up = nodes.filter { $0.peer?.isUp == true && !$0.paused }.map(\.config.id)
        if up.count >= 2 {
            let from = up[Int(forger.next() % UInt64(up.count))]
            let others = up.filter { $0 != from }
            let to = others[Int(forger.next() % UInt64(others.count))]
            let epoch = store.epoch + 1 + Int(forger.next() % 2)
            let message: Message = forger.chance(0.5)
                ? .coordinator(epoch: epoch)
                : .heartbeat(epoch: epoch, leader: scenario.peers[Int(forger.next() % UInt64(scenario.peers.count))].id)
            let envelope = Envelope(from: from, to: to, clock: nodes[from].peer!.clock.time, message: message)
            let link = from * 1024 + to
            let arrival = max(now + delay(), (linkClear[link] ?? .zero) + .nanoseconds(1))
            linkClear[link] = arrival
            schedule(.deliver(envelope), after: arrival - now)
        }
        if forger.chance(0.7) {
            schedule(.forge, after: .milliseconds(1 + Int64(forger.next() % 1000)))
        }
    }

    var highestBuyer: PeerID? { scenario.peers.last { $0.role == .buyer }?.id }
}
