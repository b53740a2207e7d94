import MarketCore

/// Which host each peer of a run over `--hosts` runs on: the scenario's word where it names
/// one, else round-robin over the hosts in peer order (P0 on the first, P1 on the second, …),
/// so the same scenario and hosts always place the same way. The word `local` places a peer
/// on the supervisor's own host, started as a child process as in a run without hosts (a host
/// whose ssh name is `local` is then given by its address or another name).
public struct HostPlacement: Hashable, Sendable {
    /// The SSH destination of every peer, or `local`.
    public let destinations: [PeerID: String]

    /// The destination that means this host, without ssh.
    public static let localWord = "local"

    public init(destinations: [PeerID: String]) {
        self.destinations = destinations
    }

    /// Nil when neither `hosts` nor any peer names a host: the run stays on this machine.
    public static func place(peers: [PeerID], hosts: [String], chosen: [PeerID: String]) throws(PlacementError) -> HostPlacement? {
        guard !hosts.isEmpty || !chosen.isEmpty else { return nil }
        if let blank = hosts.firstIndex(where: { $0.isEmpty || $0.contains(where: \.isWhitespace) }) {
            throw PlacementError(description: "host \(blank + 1) of the list is not an SSH destination: '\(hosts[blank])'")
        }
        if let bad = chosen.first(where: { $0.value.isEmpty || $0.value.contains(where: \.isWhitespace) || $0.value.hasPrefix("-") }) {
            throw PlacementError(description: "the host of P\(bad.key) is not an SSH destination: '\(bad.value)'")
        }
        if let bad = hosts.first(where: { $0.hasPrefix("-") }) {
            throw PlacementError(description: "'\(bad)' is not an SSH destination (it starts with '-')")
        }
        var destinations: [PeerID: String] = [:]
        for (index, id) in peers.sorted().enumerated() {
            if let host = chosen[id] {
                destinations[id] = host
            } else if !hosts.isEmpty {
                destinations[id] = hosts[index % hosts.count]
            } else {
                throw PlacementError(description: "P\(id) has no host: name one for every peer, or give a hosts list")
            }
        }
        return HostPlacement(destinations: destinations)
    }

    /// Every destination reached over ssh once, in the order of the first peer placed there.
    public var hosts: [String] {
        var seen: Set<String> = []
        return destinations.keys.sorted().compactMap { destinations[$0] }
            .filter { $0 != Self.localWord && seen.insert($0).inserted }
    }

    /// The peer's ssh destination; nil for a peer on this host.
    public func remoteDestination(of id: PeerID) -> String? {
        destinations[id].flatMap { $0 == Self.localWord ? nil : $0 }
    }

    /// Some peer runs on this host, beside the remote ones.
    public var hasLocalPeers: Bool { destinations.values.contains(Self.localWord) }

    /// The host `peers.host` and the summary name: a remote peer's destination as given, a
    /// local one's this machine's name, as for every peer of a run without hosts.
    func recordedHost(of id: PeerID) -> String? {
        destinations[id].map { $0 == Self.localWord ? LocalHost.name : $0 }
    }
}

public struct PlacementError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
