import MarketCore

/// 64 bits of a state's hash (SipHash, `Hasher`). Among n states two share one with a
/// chance of about n²/2⁶⁵: one in 36,000 for 10 million states.
struct Fingerprint: Hashable {
    var value: Int

    /// Hashed from nothing cached: what `ExploredSystem.fingerprint()` must agree with.
    init(_ system: ExploredSystem) {
        var fresh = system
        fresh.forgetHashes()
        self = fresh.fingerprint()
    }

    init(value: Int) {
        self.value = value
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}

extension ExploredSystem {
    /// The state's fingerprint. A step changes one node (and the store when it runs), so the
    /// hashes of the others are kept from the state it was taken in (in the nodes' boxes,
    /// `Nodes.hashOfNode`, and `storeHashKept`): hashing every peer (books, ledger,
    /// configuration) again for each new state was most of the search's time.
    mutating func fingerprint() -> Fingerprint {
        var hasher = Hasher()
        hasher.combine(nodes.count)
        for id in nodes.indices { hasher.combine(nodes.hashOfNode(id)) }
        let store = storeHashKept ?? self.store.hashValue
        storeHashKept = store
        hasher.combine(store)
        hasher.combine(links)
        hasher.combine(now)
        hasher.combine(crashes)
        hasher.combine(pauses)
        hasher.combine(drops)
        return Fingerprint(value: hasher.finalize())
    }

    /// Forgets every hash kept: what `fingerprint()` then gives is the state's hash afresh.
    mutating func forgetHashes() {
        nodes.forgetHashes()
        storeHashKept = nil
    }
}
