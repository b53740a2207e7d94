import MarketCore

/// The peers as processes: gone, crashed, up since when.
extension Simulation {
    /// Down from the start, or crashed and not yet restarted.
    func isGone(_ id: PeerID) -> Bool {
        nodes[id].down || (nodes[id].peer == nil && nodes[id].incarnation > 0)
    }

    /// The process is killed: memory, timers and unfinished store requests are gone.
    func crash(_ id: PeerID) {
        nodes[id].peer = nil
        nodes[id].incarnation += 1
        nodes[id].timerGeneration = [:]
        nodes[id].persistQueue = []
        nodes[id].postponed = []
        if nodes[id].upSince != nil { upChanges.append(.init(peer: id, up: false, at: now)) }
        nodes[id].upSince = nil
        schedule(.restart(id, incarnation: nodes[id].incarnation), after: scenario.recoverAfter)
        // Its sockets close at once: every peer connected to it sees that.
        for node in nodes where node.peer != nil {
            schedule(.peerGone(observer: node.config.id, gone: id), after: delay())
        }
    }

    func updateUp(_ id: PeerID) {
        let up = nodes[id].peer?.isUp == true && !nodes[id].paused
        if !up {
            if nodes[id].upSince != nil { upChanges.append(.init(peer: id, up: false, at: now)) }
            nodes[id].upSince = nil
        } else if nodes[id].upSince == nil {
            nodes[id].upSince = now
            // The first start is no comeback: the peer was meant to be up from the beginning.
            if !everUp.insert(id).inserted { upChanges.append(.init(peer: id, up: true, at: now)) }
        }
    }
}
