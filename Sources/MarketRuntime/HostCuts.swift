import MarketCore

/// `--nemesis-cuts network`: the nemesis draws its sides over hosts, not peers (the same
/// `NemesisSchedule` and seed, with host 0, 1, … in placement order standing for peers), so
/// that every cut separates whole hosts; a side of hosts is then the side of the peers on
/// them, and each host blackholes the addresses of the hosts across the cut. Pure: the
/// routes themselves are `BlackholeRoutes`'.
public struct HostCuts: Hashable, Sendable {
    /// The remote hosts, in the order of the first peer placed on each.
    public let hosts: [String]
    /// The peers on each host, by the host's index in `hosts`.
    public let peers: [[PeerID]]

    public init(placement: HostPlacement) {
        hosts = placement.hosts
        peers = hosts.map { host in placement.destinations.filter { $0.value == host }.map(\.key).sorted() }
    }

    /// The stand-ins the schedule draws its sides from: one per host.
    public var scheduleIDs: [PeerID] { Array(hosts.indices) }

    /// Why this nemesis cannot be real cuts with this placement, in one line; nil: it can.
    public static func refusal(_ plan: NemesisPlan?, placement: HostPlacement?) -> String? {
        guard let placement else {
            return "--nemesis-cuts network needs --hosts: only hosts of their own can lose each other's packets"
        }
        guard let plan else { return "--nemesis-cuts network needs --nemesis" }
        if placement.hasLocalPeers {
            return "--nemesis-cuts network needs every peer on a remote host: a route on the supervisor's host would cut its own sessions"
        }
        let cuts = HostCuts(placement: placement)
        guard cuts.hosts.count >= 2 else { return "--nemesis-cuts network needs peers on at least two hosts" }
        if let kind = plan.kinds.first(where: { $0 == .oneWay || $0 == .flaky }) {
            let why = kind == .oneWay ? "a route cuts both directions" : "it cuts pairs of peers, not hosts"
            return "--nemesis \(kind.rawValue) cannot be a network cut (\(why)): use --nemesis-cuts links"
        }
        if plan.kinds.contains(.isolateTrader),
           let shared = cuts.hosts.indices.first(where: { cuts.peers[$0].count > 1 }) {
            let names = cuts.peers[shared].map { "P\($0)" }.joined(separator: ", ")
            return "--nemesis isolate-trader as network cuts needs each peer alone on its host, but \(cuts.hosts[shared]) runs \(names)"
        }
        return nil
    }

    /// A cut drawn over hosts (`scheduleIDs`), as the cut of the peers on them.
    public func overPeers(_ cut: NemesisCut) -> NemesisCut {
        let groups = cut.groups.map { $0.flatMap { peers.indices.contains($0) ? peers[$0] : [] }.sorted() }
        var links: Set<DirectedLink> = []
        for link in cut.links where peers.indices.contains(link.from) && peers.indices.contains(link.to) {
            for a in peers[link.from] {
                for b in peers[link.to] { links.insert(DirectedLink(a, b)) }
            }
        }
        return NemesisCut(kind: cut.kind, groups: groups, links: links)
    }

    /// For each host, the hosts whose packets it must lose so that `links` (a cut of peers)
    /// holds: every host with a peer that sends on a cut link, toward the host of its receiver.
    /// A link within one host cannot be cut by a route and is left out.
    public func blackholes(_ links: Set<DirectedLink>) -> [String: Set<String>] {
        var host: [PeerID: String] = [:]
        for (index, ids) in peers.enumerated() { for id in ids { host[id] = hosts[index] } }
        var routes: [String: Set<String>] = [:]
        for link in links {
            guard let from = host[link.from], let to = host[link.to], from != to else { continue }
            routes[from, default: []].insert(to)
        }
        return routes
    }
}
