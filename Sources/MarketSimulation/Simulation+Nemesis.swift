import MarketCore

/// The nemesis in virtual time (`SimulationOptions.nemesis`, `.links`): the same schedule as a
/// real run's, from the seed. A frame sent over a cut link is lost and nobody is told (only
/// timeouts notice); frames in flight when a cut starts still arrive. While a link is up it
/// stays FIFO and reliable: latency is drawn per frame, and a lost transmission is sent again
/// after the retransmission timeout, so loss shows up as delay, never as a gap.
extension Simulation {
    /// Schedules the nemesis's first step, if there is a nemesis.
    func startNemesis() {
        guard let plan = options.nemesis else { return }
        var schedule = NemesisSchedule(plan: plan, peers: scenario.peers.map(\.id), seed: scenario.seed)
        if let step = schedule.next() {
            nemesisSchedule = schedule
            self.schedule(.nemesis(step), after: step.at - now)
        }
    }

    /// Takes one step of the schedule and schedules the next.
    func act(_ step: NemesisStep) {
        let links: Set<DirectedLink>
        switch step.action {
        case .heal: links = []
        case .cut(let cut): links = cut.links
        case .isolateTrader: links = NemesisCut.isolating(store.leader, among: scenario.peers.map(\.id)).links
        }
        setCut(links)
        result.nemesisActions += step.action == .heal ? 0 : 1
        if let next = nemesisSchedule?.next() {
            schedule(.nemesis(next), after: max(.zero, next.at - now))
        }
    }

    /// Cuts exactly `links` from now on, and notes when each cut began and ended.
    private func setCut(_ links: Set<DirectedLink>) {
        for link in cutLinks.subtracting(links) {
            cutSpans[link.from * 1024 + link.to, default: []].append((cutSince.removeValue(forKey: link) ?? now)...now)
        }
        for link in links.subtracting(cutLinks) { cutSince[link] = now }
        cutLinks = links
    }

    /// Every span each link was cut, including a cut still on now.
    var allCutSpans: [Int: [ClosedRange<Duration>]] {
        var spans = cutSpans
        for (link, since) in cutSince { spans[link.from * 1024 + link.to, default: []].append(since...now) }
        return spans
    }

    /// True if the frame is lost to a cut (counted).
    func lostToCut(_ envelope: Envelope) -> Bool {
        guard !cutLinks.isEmpty, cutLinks.contains(DirectedLink(envelope.from, envelope.to)) else { return false }
        result.dropped += 1
        return true
    }

    /// What the link's conditions add to a frame's delay (nothing drawn when they are clear,
    /// so a run without them replays exactly as before).
    func linkDelay() -> Duration {
        guard !options.links.isClear else { return .zero }
        let (delay, retransmissions) = options.links.draw(using: &linkDraws)
        result.retransmitted += retransmissions
        return delay
    }
}
