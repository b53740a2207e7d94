extension Timing {
    /// Up to this many peers the defaults hold.
    public static let unscaledPeers = 16

    /// The defaults for a run of `count` peers: beyond `unscaledPeers`, every timeout grows
    /// in proportion to the peer count. The trader heartbeats each peer and each peer the
    /// trader, so a period carries O(n) messages; a period n/16 times longer keeps that
    /// traffic per second what it is at 16 peers. And on a machine of a few cores, n
    /// processes each wait their turn for a CPU: a loop starved for a while is a sign of
    /// load, not of a dead trader, and only a suspicion that outlasts such a wait avoids
    /// elections that each cause the next. Fixed per run (not adaptive): every peer of a
    /// run judges by the same numbers, and a scenario file's `timing_ms` still overrides each.
    public static func forPeers(_ count: Int) -> Timing {
        let base = Timing()
        guard count > unscaledPeers else { return base }
        var scaled = base
        for field in fields {
            scaled[keyPath: field.path] = base[keyPath: field.path] * count / unscaledPeers
        }
        return scaled
    }
}
