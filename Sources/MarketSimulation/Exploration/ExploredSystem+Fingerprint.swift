import MarketCore

/// 64 bits of a state's hash (SipHash, `Hasher`). Among n states two share one with a
/// chance of about n²/2⁶⁵: one in 36,000 for 10 million states.
struct Fingerprint: Hashable {
    var value: Int

    /// Hashed from nothing cached: what `ExploredSystem.fingerprint()` must agree with.
    init(_ system: ExploredSystem) {
        var fresh = system
        fresh.partHashes = PartHashes()
        self = fresh.fingerprint()
    }

    init(value: Int) {
        self.value = value
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}

/// The hashes of a state's nodes and store, kept while a step leaves them unchanged: a step
/// changes one node, so hashing every peer (books, ledger, configuration) again for each new
/// state was most of the search's time.
struct PartHashes: Sendable {
    /// By peer; nil: not hashed since it last changed.
    var nodes: [Int?] = []
    var store: Int?
}

extension ExploredSystem {
    /// The state's fingerprint, hashing again only the parts changed since the state it was
    /// reached from was fingerprinted (`apply` forgets those).
    mutating func fingerprint() -> Fingerprint {
        if partHashes.nodes.count != nodes.count { partHashes.nodes = Array(repeating: nil, count: nodes.count) }
        var hasher = Hasher()
        hasher.combine(nodes.count)
        for id in nodes.indices {
            let node = partHashes.nodes[id] ?? nodes[id].hashValue
            partHashes.nodes[id] = node
            hasher.combine(node)
        }
        let store = partHashes.store ?? self.store.hashValue
        partHashes.store = store
        hasher.combine(store)
        hasher.combine(links)
        hasher.combine(now)
        hasher.combine(crashes)
        hasher.combine(pauses)
        hasher.combine(drops)
        return Fingerprint(value: hasher.finalize())
    }

    /// Before a step that may change `id`'s node.
    mutating func forgetHash(ofNode id: PeerID) {
        if partHashes.nodes.indices.contains(id) { partHashes.nodes[id] = nil }
    }
}
